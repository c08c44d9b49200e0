//! The `.scap` capture file format: reading, block decoding and writing.
//!
//! A capture is a pcapng-like sequence of blocks, little endian, optionally gzip-compressed:
//!
//! ```text
//! block:  u32 type | u32 total_length | body ... | u32 total_length
//! ```
//!
//! The first block is the section header (magic `0x1A2B3C4D`, format version); then come the
//! state blocks (machine info, interface list, user list, process list, one fd list per
//! process with open fds) and the event blocks. [`reader`] splits a file into blocks without
//! copying them; [`block`] decodes the bodies of each block type and version; [`writer`]
//! writes captures in the current format (our fixtures and benchmark inputs).

pub mod block;
pub mod reader;
pub mod writer;

pub use reader::{BlockRef, Reader};
pub use writer::Writer;

/// Block types (libscap `scap_savefile.h`).
#[allow(missing_docs)]
pub mod btype {
    pub const SHB: u32 = 0x0A0D0D0A;
    pub const MI: u32 = 0x201;
    pub const MI_INT: u32 = 0x8002ABCD;
    pub const PL_V1: u32 = 0x202;
    pub const PL_V1_INT: u32 = 0x8000ABCD;
    pub const PL_V2: u32 = 0x207;
    pub const PL_V2_INT: u32 = 0x8013ABCD;
    pub const PL_V3: u32 = 0x209;
    pub const PL_V3_INT: u32 = 0x8014ABCD;
    pub const PL_V4: u32 = 0x210;
    pub const PL_V5: u32 = 0x211;
    pub const PL_V6: u32 = 0x212;
    pub const PL_V7: u32 = 0x213;
    pub const PL_V8: u32 = 0x214;
    pub const PL_V9: u32 = 0x215;
    pub const FDL: u32 = 0x203;
    pub const FDL_INT: u32 = 0x8001ABCD;
    pub const FDL_V2: u32 = 0x218;
    pub const EV: u32 = 0x204;
    pub const EV_INT: u32 = 0x8010ABCD;
    pub const EV_V2: u32 = 0x216;
    pub const EV_V2_LARGE: u32 = 0x221;
    pub const EVF: u32 = 0x208;
    pub const EVF_V2: u32 = 0x217;
    pub const EVF_V2_LARGE: u32 = 0x222;
    pub const IL: u32 = 0x205;
    pub const IL_INT: u32 = 0x8011ABCD;
    pub const IL_V2: u32 = 0x219;
    pub const UL: u32 = 0x206;
    pub const UL_INT: u32 = 0x8012ABCD;
    pub const UL_V2: u32 = 0x220;

    /// True for the process-list block types of every version.
    #[inline]
    pub fn is_process_list(t: u32) -> bool {
        matches!(
            t,
            PL_V1
                | PL_V1_INT
                | PL_V2
                | PL_V2_INT
                | PL_V3
                | PL_V3_INT
                | PL_V4
                | PL_V5
                | PL_V6
                | PL_V7
                | PL_V8
                | PL_V9
        )
    }

    /// True for the event block types of every version.
    #[inline]
    pub fn is_event(t: u32) -> bool {
        matches!(t, EV | EV_INT | EV_V2 | EV_V2_LARGE | EVF | EVF_V2 | EVF_V2_LARGE)
    }
}

/// The section header's byte-order magic.
pub const SHB_MAGIC: u32 = 0x1A2B3C4D;

/// What went wrong reading a capture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScapErrorKind {
    /// The file has no bytes at all.
    #[error("the capture file is empty")]
    Empty,
    /// The file does not start with a section header block.
    #[error("not a scap capture: expected section header block 0x0A0D0D0A, found 0x{0:08X}")]
    WrongMagic(u32),
    /// The section header's byte-order magic is wrong or big-endian.
    #[error("bad section header: byte-order magic 0x{0:08X} (expected 0x1A2B3C4D)")]
    WrongByteOrder(u32),
    /// The format's major version is newer than this reader.
    #[error("unsupported capture format version {0}.{1}")]
    UnsupportedVersion(u16, u16),
    /// The file ends inside a block.
    #[error("truncated capture: {what} needs {needed} bytes, only {available} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes left in the file.
        available: u64,
    },
    /// A block's length field is impossible.
    #[error("corrupted block of type 0x{btype:X}: length {len}")]
    BadBlockLength {
        /// Block type.
        btype: u32,
        /// Its length field.
        len: u32,
    },
    /// A block's trailing length differs from its leading one.
    #[error("corrupted block of type 0x{btype:X}: trailing length {trailer} differs from {len}")]
    TrailerMismatch {
        /// Block type.
        btype: u32,
        /// Leading length.
        len: u32,
        /// Trailing length.
        trailer: u32,
    },
    /// A block's body does not decode.
    #[error("corrupted {block} block: {msg}")]
    Corrupt {
        /// Which block kind.
        block: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// Reading or decompressing failed.
    #[error("read error: {0}")]
    Io(String),
}

/// An error reading a capture, with the byte offset where it happened (offset in the
/// decompressed stream for gzip files).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte offset {offset}{})", if *.compressed { " of the decompressed data" } else { "" })]
pub struct ScapError {
    /// What went wrong.
    pub kind: ScapErrorKind,
    /// Where.
    pub offset: u64,
    /// The file is gzip-compressed (the offset counts decompressed bytes).
    pub compressed: bool,
}
