//! Helpers shared by the integration tests: an in-memory channel, a slow channel, a tiny
//! HTTP server, log capture, and the conformance data location.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use falco_outputs::{Channel, ChannelError, Message};

/// `shared/conformance`, beside the repository (override with `FALCO_CONFORMANCE_DIR`).
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("FALCO_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

/// Keeps every alert it receives; optionally sleeps in each `emit`.
#[derive(Clone, Default)]
pub struct Collect {
    pub lines: Arc<Mutex<Vec<String>>>,
    pub delay: Duration,
    /// Every `stall_every`-th alert sleeps `stall` (0: never).
    pub stall_every: usize,
    pub stall: Duration,
}

impl Collect {
    pub fn slow(delay: Duration) -> Collect {
        Collect { delay, ..Collect::default() }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }
}

impl Channel for Collect {
    fn name(&self) -> &str {
        "collect"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        let n = {
            let mut l = self.lines.lock().unwrap();
            l.push(msg.text.to_string());
            l.len()
        };
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        if self.stall_every > 0 && n % self.stall_every == 0 {
            std::thread::sleep(self.stall);
        }
        Ok(())
    }
}

/// One request the test HTTP server received.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 that records requests and answers `status`
/// after `delay`. Stops when dropped.
pub struct HttpServer {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(status: u16, delay: Duration) -> HttpServer {
        HttpServer::start_with(status, delay, None)
    }

    /// An HTTPS server with this rustls configuration (handshake failures are counted).
    pub fn start_tls(config: Arc<rustls::ServerConfig>) -> HttpServer {
        HttpServer::start_with(200, Duration::ZERO, Some(config))
    }

    fn start_with(
        status: u16,
        delay: Duration,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (Arc::clone(&requests), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut conns = Vec::new();
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (r, s, tls) = (Arc::clone(&r), Arc::clone(&s), tls.clone());
                        conns.push(std::thread::spawn(move || {
                            stream.set_nonblocking(false).unwrap();
                            stream.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
                            match tls {
                                None => serve(stream, &r, &s, status, delay),
                                Some(cfg) => {
                                    let conn = rustls::ServerConnection::new(cfg).unwrap();
                                    let tls = rustls::StreamOwned::new(conn, stream);
                                    serve(tls, &r, &s, status, delay)
                                }
                            }
                        }));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
            for c in conns {
                let _ = c.join();
            }
        });
        HttpServer { addr, requests, stop, thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("http://{}/falco", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve<S: Read + Write>(
    stream: S,
    requests: &Mutex<Vec<Request>>,
    stop: &AtomicBool,
    status: u16,
    delay: Duration,
) {
    let mut reader = BufReader::new(stream);
    loop {
        // Request line (wait for it while the server runs).
        let mut line = String::new();
        loop {
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => break,
                Err(e)
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                        && !stop.load(Ordering::SeqCst) =>
                {
                    continue;
                }
                Err(_) => return,
            }
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        requests.lock().unwrap().push(Request {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        std::thread::sleep(delay);
        let answer = format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\n\r\nok");
        let out = reader.get_mut();
        if out.write_all(answer.as_bytes()).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// Installs (once per test binary) a global `tracing` subscriber that keeps every log line.
pub fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    use std::sync::OnceLock;
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let b = Arc::clone(&buf);
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || LogWriter(Arc::clone(&b)))
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buf
    })
    .clone()
}

pub fn logs_text() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap()).into_owned()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Polls `cond` every millisecond for up to `limit`.
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + limit;
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}
