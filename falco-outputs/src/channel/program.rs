//! `program_output`: alerts piped, one per line, into a shell command.

use std::io::{BufWriter, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::{Channel, Message};
use crate::error::ChannelError;

/// Pipes alerts into `/bin/sh -c <program>` (Falco's `popen(program, "w")`).
///
/// Without `keep_alive` the program is started for every alert and waited for after its
/// line is written; with it, the program is started once and gets every alert on its
/// standard input. [`reopen`](Channel::reopen) (SIGUSR1) closes the program's input, waits
/// for it and starts it again. If the program dies, the failed write is counted and the next
/// alert starts it again.
///
/// ```
/// use falco_engine::Priority;
/// use falco_outputs::{Channel, Message, ProgramChannel};
/// let dir = std::env::temp_dir().join(format!("falco-outputs-prog-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let out = dir.join("out.txt");
/// let mut ch = ProgramChannel::new(format!("cat >> '{}'", out.display()), true, false);
/// ch.emit(&Message { text: "one", priority: Priority::Notice })?;
/// ch.emit(&Message { text: "two", priority: Priority::Notice })?;
/// ch.close()?; // closes the pipe and waits for `cat`
/// assert_eq!(std::fs::read_to_string(&out)?, "one\ntwo\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ProgramChannel {
    program: String,
    keep_alive: bool,
    buffered: bool,
    running: Option<(Child, BufWriter<ChildStdin>)>,
}

impl ProgramChannel {
    /// A channel feeding `program`; `keep_alive` and `buffered` as in `falco.yaml`.
    pub fn new(program: impl Into<String>, keep_alive: bool, buffered: bool) -> ProgramChannel {
        ProgramChannel { program: program.into(), keep_alive, buffered, running: None }
    }

    fn start(&mut self) -> Result<(), ChannelError> {
        if self.running.is_none() {
            let mut child = Command::new("/bin/sh")
                .arg("-c")
                .arg(&self.program)
                .stdin(Stdio::piped())
                .spawn()
                .map_err(|e| {
                    ChannelError::io(format!("Failed to open program output: {}", self.program), e)
                })?;
            let Some(stdin) = child.stdin.take() else {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ChannelError::io(
                    format!("Failed to open program output: {}", self.program),
                    std::io::Error::other("no pipe to the program's standard input"),
                ));
            };
            let cap = if self.buffered { 64 * 1024 } else { 0 };
            self.running = Some((child, BufWriter::with_capacity(cap, stdin)));
        }
        Ok(())
    }

    /// Closes the program's input and waits for it to exit (`pclose`).
    fn stop(&mut self) -> Result<(), ChannelError> {
        let Some((mut child, mut stdin)) = self.running.take() else {
            return Ok(());
        };
        let flushed = stdin.flush();
        drop(stdin);
        let waited = child.wait();
        flushed.map_err(|e| ChannelError::io(format!("writing to {}", self.program), e))?;
        waited.map_err(|e| ChannelError::io(format!("waiting for {}", self.program), e))?;
        Ok(())
    }
}

impl Channel for ProgramChannel {
    fn name(&self) -> &str {
        "program"
    }

    fn emit(&mut self, msg: &Message<'_>) -> Result<(), ChannelError> {
        self.start()?;
        if let Some((_, stdin)) = &mut self.running {
            let res = stdin
                .write_all(msg.text.as_bytes())
                .and_then(|()| stdin.write_all(b"\n"))
                .and_then(|()| if self.buffered { Ok(()) } else { stdin.flush() });
            if let Err(e) = res {
                // The program is gone (broken pipe) or stuck: reap it, restart next time.
                let _ = self.stop();
                return Err(ChannelError::io(format!("writing to {}", self.program), e));
            }
        }
        if !self.keep_alive {
            self.stop()?;
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), ChannelError> {
        self.stop()?;
        self.start()
    }

    fn flush(&mut self) -> Result<(), ChannelError> {
        match &mut self.running {
            Some((_, stdin)) => stdin
                .flush()
                .map_err(|e| ChannelError::io(format!("writing to {}", self.program), e)),
            None => Ok(()),
        }
    }

    fn close(&mut self) -> Result<(), ChannelError> {
        self.stop()
    }
}
