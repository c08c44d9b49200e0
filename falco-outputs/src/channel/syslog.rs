//! `syslog_output`: alerts to the local syslog daemon.

use std::fmt::Write as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};

use super::{Channel, Message};
use crate::error::ChannelError;

/// The local syslog socket glibc's `syslog(3)` writes to.
pub const DEFAULT_SYSLOG_SOCKET: &str = "/dev/log";

/// `LOG_USER`: the facility of `syslog(3)` when `openlog` was never called, as in Falco.
const LOG_USER: u8 = 1 << 3;

/// Sends each alert as one datagram to the syslog socket, formatted as glibc's `syslog(3)`
/// formats it for Falco (which calls it without `openlog`):
/// `<PRI>Mmm dd hh:mm:ss falco: <alert>`, with PRI = facility `user` (8) + the rule's
/// priority (Falco's priorities are syslog's severities) and the local time.
///
/// The socket is connected at the first alert and again after any failure.
#[derive(Debug)]
pub struct SyslogChannel {
    path: PathBuf,
    ident: String,
    socket: Option<UnixDatagram>,
    buf: String,
}

impl SyslogChannel {
    /// A channel to `/dev/log`, tagged with the program's name (glibc's `__progname`).
    pub fn new() -> SyslogChannel {
        let ident = std::env::args_os()
            .next()
            .and_then(|a| Path::new(&a).file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "falco".into());
        SyslogChannel::with_socket(DEFAULT_SYSLOG_SOCKET, ident)
    }

    /// A channel to another socket path, with another tag.
    pub fn with_socket(path: impl AsRef<Path>, ident: impl Into<String>) -> SyslogChannel {
        SyslogChannel {
            path: path.as_ref().to_path_buf(),
            ident: ident.into(),
            socket: None,
            buf: String::new(),
        }
    }
}

/// Sends one datagram, connecting first if needed; forgets the socket after a failure.
fn send(socket: &mut Option<UnixDatagram>, path: &Path, bytes: &[u8]) -> Result<(), ChannelError> {
    let sock = match socket {
        Some(s) => s,
        None => {
            let context = || format!("connecting to syslog socket {}", path.display());
            let s = UnixDatagram::unbound().map_err(|e| ChannelError::io(context(), e))?;
            s.connect(path).map_err(|e| ChannelError::io(context(), e))?;
            socket.insert(s)
        }
    };
    if let Err(e) = sock.send(bytes) {
        *socket = None;
        return Err(ChannelError::io("sending to syslog", e));
    }
    Ok(())
}

impl Default for SyslogChannel {
    fn default() -> Self {
        SyslogChannel::new()
    }
}

impl Channel for SyslogChannel {
    fn name(&self) -> &str {
        "syslog"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let pri = LOG_USER + msg.priority as u8;
        let now = chrono::Local::now();
        let _ = write!(buf, "<{pri}>{} {}: ", now.format("%b %e %T"), self.ident);
        buf.push_str(msg.text);
        let res = send(&mut self.socket, &self.path, buf.as_bytes());
        self.buf = buf;
        res
    }
}
