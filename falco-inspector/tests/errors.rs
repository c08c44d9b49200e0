//! Bad input never panics: empty, wrong-magic, truncated and corrupted captures give a
//! clear error with the byte offset.

use std::io::Cursor;

use falco_inspector::scap::Reader;
use falco_inspector::scap::writer::{EventBuilder, Writer};
use falco_inspector::{ScapError, ScapErrorKind, ScapInspector};

fn sample() -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    w.process(100, 100, 1, "cat", "/bin/cat", &["/etc/passwd"], "/root").unwrap();
    for i in 0..20 {
        w.event(EventBuilder::open_exit(1000 + i, 100, 3, "/etc/passwd", 1)).unwrap();
    }
    w.finish().unwrap()
}

/// Reads every event of `bytes`; returns the error, if any.
fn read_all(bytes: Vec<u8>) -> Result<usize, ScapError> {
    let mut insp = ScapInspector::from_reader(Reader::new(Cursor::new(bytes))?);
    let mut n = 0;
    while insp.next_event()?.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn the_sample_reads_back() {
    assert_eq!(read_all(sample()).unwrap(), 20);
}

#[test]
fn empty_file() {
    let e = read_all(Vec::new()).unwrap_err();
    assert_eq!(e.kind, ScapErrorKind::Empty);
    assert_eq!(e.offset, 0);
    assert!(e.to_string().contains("empty"), "{e}");
}

#[test]
fn wrong_magic() {
    let e = read_all(b"this is not a capture file at all".to_vec()).unwrap_err();
    assert!(matches!(e.kind, ScapErrorKind::WrongMagic(_)), "{e}");
    assert_eq!(e.offset, 0);
    assert!(e.to_string().contains("not a scap capture"), "{e}");
    // Right block type, wrong byte-order magic.
    let mut b = sample();
    b[8] ^= 0xff;
    let e = read_all(b).unwrap_err();
    assert!(matches!(e.kind, ScapErrorKind::WrongByteOrder(_)), "{e}");
    assert_eq!(e.offset, 8);
}

#[test]
fn truncated_anywhere() {
    let full = sample();
    // Cut at every byte: always an error or a clean shorter read, never a panic.
    for cut in 1..full.len() {
        match read_all(full[..cut].to_vec()) {
            Ok(n) => assert!(n < 20, "cut {cut}"),
            Err(e) => {
                assert!(e.offset <= cut as u64, "cut {cut}: offset {} past the end", e.offset);
                assert!(e.to_string().contains("byte offset"), "{e}");
            }
        }
    }
    let e = read_all(full[..full.len() - 10].to_vec()).unwrap_err();
    assert!(matches!(e.kind, ScapErrorKind::Truncated { .. }), "{e}");
}

#[test]
fn corrupted_block_and_event_lengths() {
    let full = sample();
    // Find the first event block (type 0x216) and break its lengths.
    let mut off = 0;
    let mut ev = None;
    while off + 8 <= full.len() {
        let bt = u32::from_le_bytes(full[off..off + 4].try_into().unwrap());
        let len = u32::from_le_bytes(full[off + 4..off + 8].try_into().unwrap()) as usize;
        if bt == 0x216 {
            ev = Some(off);
            break;
        }
        off += len;
    }
    let ev = ev.expect("an event block");
    // Block length smaller than a block.
    let mut b = full.clone();
    b[ev + 4..ev + 8].copy_from_slice(&4u32.to_le_bytes());
    let e = read_all(b).unwrap_err();
    assert_eq!(e.offset, ev as u64, "{e}");
    assert!(matches!(e.kind, ScapErrorKind::BadBlockLength { .. }), "{e}");
    // Trailer differs from the header.
    let mut b = full.clone();
    let len = u32::from_le_bytes(b[ev + 4..ev + 8].try_into().unwrap()) as usize;
    b[ev + len - 1] ^= 0x40;
    let e = read_all(b).unwrap_err();
    assert!(matches!(e.kind, ScapErrorKind::TrailerMismatch { .. }), "{e}");
    // A parameter length past the end of the event.
    let mut b = full.clone();
    let first_param_len = ev + 8 + 2 + 26;
    b[first_param_len..first_param_len + 2].copy_from_slice(&0xfff0u16.to_le_bytes());
    let e = read_all(b).unwrap_err();
    assert!(matches!(e.kind, ScapErrorKind::Corrupt { .. }), "{e}");
    assert_eq!(e.offset, ev as u64);
}

/// Reads every event and extracts every field with a few argument forms (what the fuzz
/// target does).
fn read_and_extract(bytes: Vec<u8>) {
    use falco_engine::{Extractor, FieldArg, FieldId, FieldRef, Values};
    use falco_inspector::Inspector;
    let Ok(reader) = Reader::new(Cursor::new(bytes)) else {
        return;
    };
    let mut insp = ScapInspector::from_reader(reader);
    let mut x = insp.extractor();
    let n = insp.schema().fields().len() as u32;
    let mut vals = Values::new();
    while let Ok(Some(evt)) = insp.next_event() {
        for id in 0..n {
            for arg in [FieldArg::None, FieldArg::Index(1), FieldArg::Key("fd".into())] {
                vals.clear();
                x.extract(&evt, &FieldRef { id: FieldId(id), arg }, &mut vals.sink());
            }
        }
    }
}

#[test]
fn corrupted_real_trace_never_panics() {
    use std::io::Read;
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance/traces/connect_localhost.scap");
    let p = std::env::var("FALCO_CONFORMANCE_DIR")
        .map(|d| std::path::PathBuf::from(d).join("traces/connect_localhost.scap"))
        .unwrap_or(p);
    let gz = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let mut full = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..]).read_to_end(&mut full).unwrap();
    read_and_extract(full.clone());
    let mut x: u64 = 0x2545f4914f6cdd1d;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = full.clone();
        for k in 0..4 {
            let at = ((x >> (k * 8)) as usize).wrapping_mul(7919) % b.len();
            b[at] = (x >> (k * 8 + 3)) as u8;
        }
        read_and_extract(b);
    }
}

#[test]
fn random_corruption_never_panics() {
    let full = sample();
    // A deterministic xorshift walk over single-byte corruptions.
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut b = full.clone();
        let at = (x as usize) % b.len();
        b[at] = (x >> 32) as u8;
        let _ = read_all(b);
    }
}

#[test]
fn gzip_errors_point_into_the_decompressed_stream() {
    use std::io::Write;
    let mut gz = flate2_encode(&sample());
    let n = gz.len();
    gz.truncate(n - 30);
    let e = read_all(gz).unwrap_err();
    assert!(e.compressed, "{e}");
    assert!(e.to_string().contains("decompressed"), "{e}");
    fn flate2_encode(b: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b).unwrap();
        enc.finish().unwrap()
    }
}
