//! Splits a capture into blocks, reading through one reused buffer.
//!
//! The reader owns a growable byte buffer that it refills from the file (or the gzip
//! decoder) in large chunks. [`Reader::next_block`] returns a [`BlockRef`]: the block type and
//! the range of its body inside that buffer, valid until the next call. Nothing is copied per
//! block and nothing is allocated once the buffer has grown to the largest block.

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::path::Path;

use super::{SHB_MAGIC, ScapError, ScapErrorKind, btype};

const CHUNK: usize = 256 * 1024;

/// One block found by [`Reader::next_block`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRef {
    /// Block type.
    pub btype: u32,
    /// Range of the body (between the two length fields) in the reader's buffer.
    pub body: Range<usize>,
    /// Byte offset of the block in the (decompressed) stream.
    pub offset: u64,
}

/// Reads a capture block by block.
///
/// ```no_run
/// use falco_inspector::scap::Reader;
/// let mut r = Reader::open("trace.scap")?;
/// while let Some(b) = r.next_block()? {
///     println!("block 0x{:x}: {} bytes", b.btype, r.body(&b).len());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    src: Box<dyn Read + Send>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    compressed: bool,
    version: (u16, u16),
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("offset", &self.offset())
            .field("version", &self.version)
            .field("compressed", &self.compressed)
            .finish()
    }
}

impl Reader {
    /// Opens a capture file (plain or gzip) and reads its section header.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader, ScapError> {
        let f = File::open(path.as_ref()).map_err(|e| ScapError {
            kind: ScapErrorKind::Io(format!("{}: {e}", path.as_ref().display())),
            offset: 0,
            compressed: false,
        })?;
        Reader::new(f)
    }

    /// Reads a capture (plain or gzip) from any byte source and reads its section header.
    pub fn new(src: impl Read + Send + 'static) -> Result<Reader, ScapError> {
        let mut src = BufReader::with_capacity(64 * 1024, src);
        let mut magic = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match src.read(&mut magic[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(ScapError {
                        kind: ScapErrorKind::Io(e.to_string()),
                        offset: 0,
                        compressed: false,
                    });
                }
            }
        }
        let head = std::io::Cursor::new(magic[..got].to_vec()).chain(src);
        let compressed = got == 2 && magic == [0x1f, 0x8b];
        let src: Box<dyn Read + Send> = if compressed {
            Box::new(flate2::read::MultiGzDecoder::new(head))
        } else {
            Box::new(head)
        };
        let mut r = Reader {
            src,
            buf: vec![0; CHUNK],
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            compressed,
            version: (0, 0),
        };
        r.read_section_header()?;
        Ok(r)
    }

    /// The capture format version (major, minor) from the section header.
    pub fn version(&self) -> (u16, u16) {
        self.version
    }

    /// True if the file is gzip-compressed.
    pub fn is_compressed(&self) -> bool {
        self.compressed
    }

    /// Stream offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// The body bytes of a block returned by the last [`Reader::next_block`].
    #[inline]
    pub fn body(&self, b: &BlockRef) -> &[u8] {
        &self.buf[b.body.clone()]
    }

    pub(crate) fn error(&self, kind: ScapErrorKind, offset: u64) -> ScapError {
        ScapError { kind, offset, compressed: self.compressed }
    }

    /// Makes at least `n` bytes available from `pos`; returns how many are (fewer at EOF).
    #[inline]
    fn fill(&mut self, n: usize) -> Result<usize, ScapError> {
        while self.end - self.pos < n && !self.eof {
            if self.pos > 0 && self.buf.len() - self.pos < n.max(CHUNK) {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.base += self.pos as u64;
                self.pos = 0;
            }
            if self.end == self.buf.len() {
                // Grow only as data arrives, so a corrupted length cannot make us allocate
                // gigabytes for a short file.
                let grow = self.buf.len().max(CHUNK);
                self.buf.resize(self.buf.len() + grow, 0);
            }
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let off = self.base + self.end as u64;
                    return Err(self.error(ScapErrorKind::Io(e.to_string()), off));
                }
            }
        }
        Ok((self.end - self.pos).min(n))
    }

    fn read_section_header(&mut self) -> Result<(), ScapError> {
        let avail = self.fill(28)?;
        if avail == 0 {
            return Err(self.error(ScapErrorKind::Empty, 0));
        }
        let b = &self.buf[self.pos..self.end];
        if avail < 4 {
            return Err(self.error(
                ScapErrorKind::Truncated {
                    what: "section header block",
                    needed: 28,
                    available: avail as u64,
                },
                0,
            ));
        }
        let bt = u32le(b, 0);
        if bt != btype::SHB {
            return Err(self.error(ScapErrorKind::WrongMagic(bt), 0));
        }
        if avail < 28 {
            return Err(self.error(
                ScapErrorKind::Truncated {
                    what: "section header block",
                    needed: 28,
                    available: avail as u64,
                },
                0,
            ));
        }
        let magic = u32le(b, 8);
        if magic != SHB_MAGIC {
            return Err(self.error(ScapErrorKind::WrongByteOrder(magic), 8));
        }
        let major = u16::from_le_bytes([b[12], b[13]]);
        let minor = u16::from_le_bytes([b[14], b[15]]);
        if major > 1 {
            return Err(self.error(ScapErrorKind::UnsupportedVersion(major, minor), 12));
        }
        self.version = (major, minor);
        // Re-read the SHB as a whole block (skipping its options, if any).
        let shb = self.next_block()?.ok_or_else(|| {
            self.error(
                ScapErrorKind::Truncated { what: "section header block", needed: 28, available: 0 },
                0,
            )
        })?;
        if shb.body.len() < 16 {
            return Err(self.error(ScapErrorKind::BadBlockLength { btype: btype::SHB, len: 0 }, 0));
        }
        Ok(())
    }

    /// The next block, or `None` at the end of the file.
    #[inline]
    pub fn next_block(&mut self) -> Result<Option<BlockRef>, ScapError> {
        let start = self.offset();
        let avail = self.fill(8)?;
        if avail == 0 {
            return Ok(None);
        }
        if avail < 8 {
            return Err(self.error(
                ScapErrorKind::Truncated {
                    what: "block header",
                    needed: 8,
                    available: avail as u64,
                },
                start,
            ));
        }
        let bt = u32le(&self.buf, self.pos);
        let len = u32le(&self.buf, self.pos + 4);
        if len < 12 {
            return Err(self.error(ScapErrorKind::BadBlockLength { btype: bt, len }, start));
        }
        let total = len as usize;
        let avail = self.fill(total)?;
        if avail < total {
            return Err(self.error(
                ScapErrorKind::Truncated {
                    what: "block",
                    needed: total as u64,
                    available: avail as u64,
                },
                start,
            ));
        }
        let trailer = u32le(&self.buf, self.pos + total - 4);
        if trailer != len {
            return Err(
                self.error(ScapErrorKind::TrailerMismatch { btype: bt, len, trailer }, start)
            );
        }
        let body = self.pos + 8..self.pos + total - 4;
        self.pos += total;
        Ok(Some(BlockRef { btype: bt, body, offset: start }))
    }
}

#[inline]
pub(crate) fn u32le(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
