//! `file_output`: alerts appended to a file, one per line.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Channel, Message};
use crate::error::ChannelError;

/// Appends alerts to a file (created if missing).
///
/// Like Falco: the file is opened at the first alert; without `keep_alive` it is opened and
/// closed for every alert; [`reopen`](Channel::reopen) (SIGUSR1) closes and opens it again,
/// so that a rotated log file is followed by a new one at the same path.
///
/// ```
/// use falco_engine::Priority;
/// use falco_outputs::{Channel, FileChannel, Message};
/// let dir = std::env::temp_dir().join(format!("falco-outputs-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("events.txt");
/// let mut ch = FileChannel::new(&path, true, false);
/// ch.emit(&Message { text: "hello", priority: Priority::Notice })?;
/// ch.close()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "hello\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileChannel {
    path: PathBuf,
    keep_alive: bool,
    buffered: bool,
    file: Option<BufWriter<File>>,
    line: Vec<u8>,
}

impl FileChannel {
    /// A channel appending to `path`; `keep_alive` and `buffered` as in `falco.yaml`.
    pub fn new(path: impl AsRef<Path>, keep_alive: bool, buffered: bool) -> FileChannel {
        FileChannel {
            path: path.as_ref().to_path_buf(),
            keep_alive,
            buffered,
            file: None,
            line: Vec::new(),
        }
    }

    fn open(&mut self) -> Result<(), ChannelError> {
        if self.file.is_none() {
            let f = OpenOptions::new().append(true).create(true).open(&self.path).map_err(|e| {
                ChannelError::io(format!("failed to open output file {}", self.path.display()), e)
            })?;
            // Unbuffered: every line goes out in one write(2) (see `emit`).
            let cap = if self.buffered { 64 * 1024 } else { 0 };
            self.file = Some(BufWriter::with_capacity(cap, f));
        }
        Ok(())
    }

    fn shut(&mut self) -> Result<(), ChannelError> {
        match self.file.take() {
            Some(mut f) => f
                .flush()
                .map_err(|e| ChannelError::io(format!("writing to {}", self.path.display()), e)),
            None => Ok(()),
        }
    }
}

impl Channel for FileChannel {
    fn name(&self) -> &str {
        "file"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        self.line.clear();
        self.line.extend_from_slice(msg.text.as_bytes());
        self.line.push(b'\n');
        self.open()?;
        if let Some(f) = &mut self.file
            && let Err(e) = f.write_all(&self.line)
        {
            // Drop the handle: the next alert opens the file again.
            self.file = None;
            let context = format!("writing to {}", self.path.display());
            return Err(ChannelError::io(context, e));
        }
        if !self.keep_alive {
            self.shut()?;
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), ChannelError> {
        self.shut()?;
        self.open()
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        match &mut self.file {
            Some(f) => f.flush().map_err(|e| ChannelError::io("flushing output file", e)),
            None => Ok(()),
        }
    }

    fn close(&mut self) -> Result<(), ChannelError> {
        self.shut()
    }
}
