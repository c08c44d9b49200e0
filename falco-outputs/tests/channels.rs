//! Every channel against a real endpoint the test starts itself: an HTTP server, a syslog
//! socket, a program, a file renamed under the engine's feet.

mod common;

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use common::{Collect, HttpServer, wait_for};
use falco_engine::Priority;
use falco_outputs::{
    Alert, FileChannel, FormatOptions, HttpChannel, HttpOutput, LocalTime, OutputEngine,
    OutputsConfig, ProgramChannel, SyslogChannel,
};
use serde_json::Value;

const TS: u64 = 1_470_327_477_881_781_397;

fn alert(i: u64) -> Alert {
    Alert::new(
        TS + i,
        "open_from_cat",
        Priority::Warning,
        "syscall",
        format!("An open was seen (n={i})"),
    )
    .with_field("n", i)
    .with_tags(["filesystem"])
}

fn iso_text() -> FormatOptions {
    FormatOptions {
        time_format_iso_8601: true,
        local_time: LocalTime::Fixed(0),
        ..FormatOptions::default()
    }
}

fn json() -> FormatOptions {
    FormatOptions { json_output: true, ..iso_text() }
}

fn http_config(url: String) -> HttpOutput {
    HttpOutput { enabled: true, url, ..HttpOutput::default() }
}

#[test]
fn http_server_receives_json_alerts() {
    let server = HttpServer::start(200, Duration::ZERO);
    let mut cfg = http_config(format!("\"{}\"", server.url()));
    cfg.user_agent = "falco-rs-test".into();
    cfg.custom_headers = [("X-Token".to_string(), "s3cret".to_string())].into();
    let outputs = OutputEngine::builder(json())
        .hostname("node-1")
        .detached_channel(HttpChannel::new(&cfg, true).unwrap())
        .build()
        .unwrap();
    for i in 0..20 {
        outputs.send(alert(i)).unwrap();
    }
    let stats = outputs.shutdown();
    assert_eq!(stats.channels[0].name, "http");
    assert_eq!(stats.channels[0].delivered, 20);
    assert_eq!(stats.channels[0].errors, 0);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 20);
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/falco"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("user-agent"), Some("falco-rs-test"));
        assert_eq!(r.header("x-token"), Some("s3cret"));
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["hostname"], "node-1");
        assert_eq!(v["rule"], "open_from_cat");
        assert_eq!(v["output_fields"]["n"], i as u64);
        assert_eq!(v["tags"], serde_json::json!(["filesystem"]));
    }
}

#[test]
fn http_text_alerts_are_text_plain() {
    let server = HttpServer::start(200, Duration::ZERO);
    let cfg = http_config(server.url());
    let outputs = OutputEngine::builder(iso_text())
        .detached_channel(HttpChannel::new(&cfg, false).unwrap())
        .build()
        .unwrap();
    outputs.send(alert(0)).unwrap();
    outputs.shutdown();
    let reqs = server.requests();
    assert_eq!(reqs[0].header("content-type"), Some("text/plain"));
    assert_eq!(reqs[0].header("user-agent"), Some("falcosecurity/falco"));
    assert_eq!(reqs[0].body, "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (n=0)");
}

#[test]
fn http_endpoint_down_is_counted_and_logged_and_other_channels_go_on() {
    common::capture_logs();
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cfg = http_config(format!("http://127.0.0.1:{port}/down"));
    let seen = Collect::default();
    let outputs = OutputEngine::builder(json())
        .queue_capacity(1000)
        .detached_channel(HttpChannel::new(&cfg, true).unwrap())
        .channel(seen.clone())
        .build()
        .unwrap();
    for i in 0..50 {
        outputs.send(alert(i)).unwrap();
    }
    let stats = outputs.shutdown();
    assert_eq!(stats.delivered, 50);
    assert_eq!(seen.len(), 50);
    let http = &stats.channels[0];
    assert_eq!(http.delivered, 0);
    assert_eq!(http.errors + http.dropped, 50);
    assert!(http.errors > 0);
    let logs = common::logs_text();
    assert!(
        logs.contains(&format!("http output: alert: POST http://127.0.0.1:{port}/down failed")),
        "{logs}"
    );
}

#[test]
fn slow_http_endpoint_stalls_neither_sources_nor_other_channels() {
    // Every answer takes 500 ms; 200 alerts would take 100 s if anything waited for it.
    let server = HttpServer::start(200, Duration::from_millis(500));
    let cfg = http_config(server.url());
    let seen = Collect::default();
    let outputs = OutputEngine::builder(json())
        .queue_capacity(16)
        .detached_channel(HttpChannel::new(&cfg, true).unwrap())
        .channel(seen.clone())
        .build()
        .unwrap();
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    let mut accepted = 0;
    for i in 0..200 {
        let t = Instant::now();
        if outputs.send(alert(i)).is_ok() {
            accepted += 1;
        }
        worst = worst.max(t.elapsed());
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(worst < Duration::from_millis(150), "slowest send {worst:?}");
    // The in-memory channel got every accepted alert long before the HTTP server answered
    // even a handful of them.
    assert!(wait_for(Duration::from_secs(2), || seen.len() == accepted));
    assert!(start.elapsed() < Duration::from_secs(3));
    let stats = outputs.stats();
    assert_eq!(stats.delivered, accepted as u64);
    let http = &stats.channels[0];
    assert!(http.dropped > 0, "the HTTP channel's own queue overflowed: {http:?}");
    assert!(server.requests().len() < 10);
    // Drain with a deadline, as Falco does on exit; nothing blocks for 100 s.
    let t = Instant::now();
    let _ = outputs.shutdown_timeout(Duration::from_millis(300));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn http_error_status_is_a_channel_error() {
    let server = HttpServer::start(500, Duration::ZERO);
    let outputs = OutputEngine::builder(json())
        .detached_channel(HttpChannel::new(&http_config(server.url()), true).unwrap())
        .build()
        .unwrap();
    outputs.send(alert(0)).unwrap();
    let stats = outputs.shutdown();
    assert_eq!(server.requests().len(), 1);
    assert_eq!((stats.channels[0].delivered, stats.channels[0].errors), (0, 1));
}

#[test]
fn syslog_socket_receives_glibc_formatted_messages() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let server = UnixDatagram::bind(&path).unwrap();
    server.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let outputs = OutputEngine::builder(iso_text())
        .channel(SyslogChannel::with_socket(&path, "falco"))
        .build()
        .unwrap();
    outputs.send(alert(0)).unwrap();
    outputs.send(Alert::new(TS, "r", Priority::Emergency, "syscall", "boom")).unwrap();
    let stats = outputs.shutdown();
    assert_eq!(stats.channels[0].delivered, 2);
    let mut buf = [0u8; 4096];
    let mut recv = || {
        let n = server.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    };
    for (msg, pri, text) in [
        (recv(), "<12>", "2016-08-04T16:17:57.881781397+0000: Warning An open was seen (n=0)"),
        (recv(), "<8>", "2016-08-04T16:17:57.881781397+0000: Emergency boom"),
    ] {
        // <PRI>Mmm dd hh:mm:ss falco: text   (facility user = 8, + severity)
        let rest = msg.strip_prefix(pri).unwrap_or_else(|| panic!("{msg}"));
        let (stamp, tail) = rest.split_at(15);
        let b = stamp.as_bytes();
        assert!(b[0].is_ascii_uppercase() && b[3] == b' ' && b[6] == b' ', "{stamp}");
        assert_eq!((b[9], b[12]), (b':', b':'), "{stamp}");
        assert_eq!(tail, format!(" falco: {text}"));
    }
}

#[test]
fn syslog_socket_missing_is_an_error_then_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    let outputs = OutputEngine::builder(iso_text())
        .channel(SyslogChannel::with_socket(&path, "falco"))
        .build()
        .unwrap();
    outputs.send(alert(0)).unwrap();
    assert!(wait_for(Duration::from_secs(5), || outputs.stats().channels[0].errors == 1));
    let server = UnixDatagram::bind(&path).unwrap();
    outputs.send(alert(1)).unwrap();
    let stats = outputs.shutdown();
    assert_eq!((stats.channels[0].errors, stats.channels[0].delivered), (1, 1));
    let mut buf = [0u8; 4096];
    let n = server.recv(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).ends_with("An open was seen (n=1)"));
}

#[test]
fn program_channel_writes_through_a_shell_command() {
    for keep_alive in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("program_output.txt");
        let program = format!("cat >> {}", out.display());
        let outputs = OutputEngine::builder(iso_text())
            .channel(ProgramChannel::new(program, keep_alive, false))
            .build()
            .unwrap();
        for i in 0..5 {
            outputs.send(alert(i)).unwrap();
        }
        let stats = outputs.shutdown();
        assert_eq!(stats.channels[0].delivered, 5);
        let text = std::fs::read_to_string(&out).unwrap();
        let want: Vec<String> = (0..5)
            .map(|i| {
                let ns = 881_781_397 + i;
                format!("2016-08-04T16:17:57.{ns:09}+0000: Warning An open was seen (n={i})")
            })
            .collect();
        let got: Vec<&str> = text.lines().collect();
        assert_eq!(got, want, "keep_alive={keep_alive}");
    }
}

#[test]
fn program_that_exits_is_restarted_and_its_failure_counted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.txt");
    // Reads one line, then exits: the next writes hit a closed pipe.
    let program = format!("head -n 1 >> {}", out.display());
    let mut ch = ProgramChannel::new(program, true, false);
    use falco_outputs::{Channel, Message};
    let msg = |t| Message { text: t, priority: Priority::Notice };
    ch.emit(&msg("first")).unwrap();
    // Wait for `head` to exit, then write until the broken pipe shows.
    std::thread::sleep(Duration::from_millis(200));
    let failed = (0..5).any(|_| ch.emit(&msg("lost")).is_err());
    assert!(failed, "writing to an exited program fails");
    ch.emit(&msg("second")).unwrap();
    ch.close().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("first\n") && text.ends_with("second\n"), "{text:?}");
}

#[test]
fn file_channel_follows_a_rotated_file_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.txt");
    let rotated = dir.path().join("events.txt.1");
    let outputs = OutputEngine::builder(iso_text())
        .channel(FileChannel::new(&path, true, false))
        .build()
        .unwrap();
    for i in 0..3 {
        outputs.send(alert(i)).unwrap();
    }
    assert!(wait_for(Duration::from_secs(5), || outputs.stats().delivered == 3));
    std::fs::rename(&path, &rotated).unwrap();
    // Kept open: still writes into the renamed file until asked to reopen.
    outputs.send(alert(3)).unwrap();
    assert!(wait_for(Duration::from_secs(5), || outputs.stats().delivered == 4));
    outputs.reopen();
    for i in 4..6 {
        outputs.send(alert(i)).unwrap();
    }
    outputs.shutdown();
    let old = std::fs::read_to_string(&rotated).unwrap();
    let new = std::fs::read_to_string(&path).unwrap();
    assert_eq!(old.lines().count(), 4, "{old}");
    assert!(old.lines().last().unwrap().ends_with("(n=3)"));
    assert_eq!(new.lines().count(), 2, "{new}");
    assert!(
        new.starts_with("2016-08-04T16:17:57.881781401+0000: Warning An open was seen (n=4)\n")
    );
}

#[test]
fn file_channel_without_keep_alive_reopens_per_alert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.txt");
    let rotated = dir.path().join("events.txt.1");
    let outputs = OutputEngine::builder(iso_text())
        .channel(FileChannel::new(&path, false, true))
        .build()
        .unwrap();
    outputs.send(alert(0)).unwrap();
    assert!(wait_for(Duration::from_secs(5), || outputs.stats().delivered == 1));
    std::fs::rename(&path, &rotated).unwrap();
    outputs.send(alert(1)).unwrap();
    outputs.shutdown();
    assert_eq!(std::fs::read_to_string(&rotated).unwrap().lines().count(), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
}

#[test]
fn unwritable_file_is_counted_and_the_other_channels_still_get_the_alert() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no/such/dir/events.txt");
    let seen = Collect::default();
    let outputs = OutputEngine::builder(iso_text())
        .channel(FileChannel::new(&path, true, false))
        .channel(seen.clone())
        .build()
        .unwrap();
    for i in 0..3 {
        outputs.send(alert(i)).unwrap();
    }
    let stats = outputs.shutdown();
    assert_eq!(stats.channels[0].errors, 3);
    assert_eq!(stats.channels[1].delivered, 3);
    assert_eq!(seen.len(), 3);
}

#[test]
fn several_channels_from_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file_output.txt");
    let prog = dir.path().join("program_output.txt");
    let server = HttpServer::start(200, Duration::ZERO);
    let yaml_like = serde_json::json!({
        "json_output": true,
        "json_include_message_property": true,
        "outputs_queue": {"capacity": 100},
        "file_output": {"enabled": true, "keep_alive": true, "filename": file},
        "program_output": {"enabled": true, "program": format!("cat >> {}", prog.display())},
        "http_output": {"enabled": true, "url": server.url()},
        "grpc_output": {"enabled": false},
    });
    let cfg: OutputsConfig = serde_json::from_value(yaml_like).unwrap();
    let outputs = OutputEngine::from_config(&cfg).unwrap();
    for i in 0..3 {
        outputs.send(alert(i)).unwrap();
    }
    let stats = outputs.shutdown();
    let names: Vec<&str> = stats.channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["file", "program", "http"]);
    assert!(stats.channels.iter().all(|c| c.delivered == 3 && c.errors == 0), "{stats:?}");
    let f = std::fs::read_to_string(&file).unwrap();
    let p = std::fs::read_to_string(&prog).unwrap();
    assert_eq!(f, p);
    let first: Value = serde_json::from_str(f.lines().next().unwrap()).unwrap();
    assert_eq!(first["message"], "An open was seen (n=0)");
    assert_eq!(server.requests()[2].body, f.lines().nth(2).unwrap());
}

#[test]
fn grpc_output_is_refused() {
    let cfg: OutputsConfig = serde_json::from_value(serde_json::json!({
        "stdout_output": {"enabled": true},
        "grpc_output": {"enabled": true},
    }))
    .unwrap();
    let err = OutputEngine::from_config(&cfg).unwrap_err();
    assert!(err.to_string().starts_with("gRPC output is not supported"), "{err}");
}
