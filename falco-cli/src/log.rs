//! Falco's own log messages (not alerts): to stderr (`log_stderr`) and/or syslog
//! (`log_syslog`), filtered by `log_level`.

use std::io::Write;
use std::sync::OnceLock;

use crate::config::Config;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Critical = 2,
    Error = 3,
    Warning = 4,
    Info = 6,
    Debug = 7,
}

struct Logger {
    level: Level,
    stderr: bool,
    syslog: bool,
    iso8601: bool,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Configures logging from the configuration (`-v` lowers nothing: Falco's `-v` prints
/// extra messages of its own).
pub fn init(config: &Config, _verbose: bool) {
    let level = match config.log_level.to_ascii_lowercase().as_str() {
        "emergency" | "alert" | "critical" => Level::Critical,
        "error" => Level::Error,
        "warning" | "notice" => Level::Warning,
        "debug" => Level::Debug,
        _ => Level::Info,
    };
    let iso8601 = config.outputs.format.time_format_iso_8601;
    let _ =
        LOGGER.set(Logger { level, stderr: config.log_stderr, syslog: config.log_syslog, iso8601 });
}

fn log(level: Level, msg: &str) {
    let Some(l) = LOGGER.get() else {
        eprintln!("{msg}");
        return;
    };
    if level > l.level {
        return;
    }
    let msg = msg.trim_end();
    if l.stderr {
        let now = if l.iso8601 {
            chrono::Utc::now().format("%FT%T%z").to_string()
        } else {
            chrono::Local::now().format("%a %b %d %H:%M:%S %Y").to_string()
        };
        let _ = writeln!(std::io::stderr(), "{now}: {msg}");
    }
    if l.syslog {
        if let Ok(sock) = std::os::unix::net::UnixDatagram::unbound() {
            // facility user (1), severity from the level.
            let _ =
                sock.send_to(format!("<{}>falco: {msg}", 8 + level as u32).as_bytes(), "/dev/log");
        }
    }
}

/// Logs a critical message.
pub fn critical(msg: &str) {
    log(Level::Critical, msg);
}

/// Logs an error.
pub fn error(msg: &str) {
    log(Level::Error, msg);
}

/// Logs a warning.
pub fn warn(msg: &str) {
    log(Level::Warning, msg);
}

/// Logs an informational message.
pub fn info(msg: &str) {
    log(Level::Info, msg);
}

/// Logs a debug message.
pub fn debug(msg: &str) {
    log(Level::Debug, msg);
}

/// Where plugins' log messages go: this logger, prefixed with the plugin's component.
pub fn plugin_log_sink() -> falco_plugin_host::LogSink {
    use falco_plugin_host::LogSeverity as S;
    std::sync::Arc::new(|r: &falco_plugin_host::LogRecord<'_>| {
        let level = match r.severity {
            S::Fatal | S::Critical => Level::Critical,
            S::Error => Level::Error,
            S::Warning | S::Notice => Level::Warning,
            S::Info => Level::Info,
            _ => Level::Debug,
        };
        log(level, &format!("{}: {}", r.component, r.message));
    })
}
