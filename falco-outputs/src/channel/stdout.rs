//! `stdout_output`: one alert per line on standard output.

use std::io::{self, BufWriter, Write};

use super::{Channel, Message};
use crate::error::ChannelError;

/// Writes alerts to standard output; unbuffered (flushed after every alert) unless
/// `buffered_outputs` is set.
#[derive(Debug)]
pub struct StdoutChannel {
    buffered: Option<BufWriter<io::Stdout>>,
}

impl StdoutChannel {
    /// A stdout channel; `buffered` is `buffered_outputs`.
    pub fn new(buffered: bool) -> StdoutChannel {
        StdoutChannel {
            buffered: buffered.then(|| BufWriter::with_capacity(64 * 1024, io::stdout())),
        }
    }
}

fn err(e: io::Error) -> ChannelError {
    ChannelError::io("writing to stdout", e)
}

impl Channel for StdoutChannel {
    fn name(&self) -> &str {
        "stdout"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        match &mut self.buffered {
            Some(w) => {
                w.write_all(msg.text.as_bytes()).map_err(err)?;
                w.write_all(b"\n").map_err(err)
            }
            None => {
                let mut out = io::stdout().lock();
                out.write_all(msg.text.as_bytes()).map_err(err)?;
                out.write_all(b"\n").map_err(err)?;
                out.flush().map_err(err)
            }
        }
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        match &mut self.buffered {
            Some(w) => w.flush().map_err(err),
            None => io::stdout().flush().map_err(err),
        }
    }
}
