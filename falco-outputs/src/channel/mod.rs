//! Output channels: where formatted alerts go (Falco's `falco::outputs::abstract_output`).
//!
//! A [`Channel`] lives on the output worker (or on its own thread, for channels that may be
//! slow, such as HTTP) and receives each alert already formatted, once per alert, in order.
//! Errors are returned, never panicked: the engine counts and logs them and goes on with the
//! next channel and the next alert.

use falco_engine::Priority;

use crate::error::ChannelError;

mod file;
mod http;
mod program;
mod stdout;
mod syslog;

pub use file::FileChannel;
pub use http::{DEFAULT_REQUEST_TIMEOUT, HttpChannel};
pub use program::ProgramChannel;
pub use stdout::StdoutChannel;
pub use syslog::{DEFAULT_SYSLOG_SOCKET, SyslogChannel};

/// One formatted alert, as every channel receives it.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// The alert's text (a text line or a JSON object), without a trailing newline.
    pub text: &'a str,
    /// The alert's priority (syslog uses it as severity).
    pub priority: Priority,
}

/// An output channel. Implement it to send Falco alerts somewhere new.
///
/// ```
/// use falco_outputs::{Channel, ChannelError, Message};
///
/// /// Keeps alerts in memory.
/// struct Memory(Vec<String>);
///
/// impl Channel for Memory {
///     fn name(&self) -> &str { "memory" }
///     fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
///         self.0.push(msg.text.to_string());
///         Ok(())
///     }
/// }
/// ```
pub trait Channel: Send {
    /// The channel's name as in `falco.yaml` (`file`, `http`, ...), used in logs and stats.
    fn name(&self) -> &str;

    /// Delivers one alert.
    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError>;

    /// Closes and opens again whatever the channel writes to (SIGUSR1: log rotation).
    fn reopen(&mut self) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Writes out anything buffered.
    fn flush(&mut self) -> Result<(), ChannelError> {
        Ok(())
    }

    /// Flushes and releases resources at shutdown. No `emit` follows.
    fn close(&mut self) -> Result<(), ChannelError> {
        self.flush()
    }
}

impl<C: Channel + ?Sized> Channel for Box<C> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        (**self).emit(msg)
    }
    fn reopen(&mut self) -> Result<(), ChannelError> {
        (**self).reopen()
    }
    fn flush(&mut self) -> Result<(), ChannelError> {
        (**self).flush()
    }
    fn close(&mut self) -> Result<(), ChannelError> {
        (**self).close()
    }
}
