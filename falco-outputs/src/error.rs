//! Errors of building an output engine, and of one channel delivering one alert.

use std::io;
use std::path::PathBuf;

/// Why an [`OutputEngine`](crate::OutputEngine) or a channel could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

/// The kinds of [`Error`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No channel is enabled (Falco refuses to start then).
    #[error(
        "No output configured, please make sure at least one output is configured and enabled."
    )]
    NoOutputs,
    /// An enabled channel lacks a required option.
    #[error("{output} output enabled but no {option} in configuration block")]
    MissingOption {
        /// The channel (`file`, `program`, `http`).
        output: &'static str,
        /// The missing key.
        option: &'static str,
    },
    /// A feature this implementation does not have.
    #[error("{0}")]
    Unsupported(String),
    /// A certificate or key file could not be used.
    #[error("http output: {what} {path}: {reason}")]
    Tls {
        /// Which file (`ca_cert`, `client_key`, ...).
        what: &'static str,
        /// Its path.
        path: PathBuf,
        /// Why it could not be used.
        reason: String,
    },
    /// An invalid HTTP output option (URL, header).
    #[error("http output: {0}")]
    Http(String),
    /// The output worker thread could not be started.
    #[error("cannot start the output worker thread: {0}")]
    Thread(#[source] io::Error),
}

/// Why one channel failed to deliver one alert (counted, logged, never fatal).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What the channel was doing.
        context: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The HTTP request failed or the server answered with an error status.
    #[error("{0}")]
    Http(String),
    /// A channel running on its own thread had no room left for the alert.
    #[error("channel queue full, alert dropped")]
    QueueFull,
}

impl ChannelError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> ChannelError {
        ChannelError::Io { context: context.into(), source }
    }
}
