//! Arbitrary bytes into the capture reader, the state and every field extractor: errors are
//! fine, panics are bugs.
#![no_main]

use falco_engine::{Extractor, FieldArg, FieldId, FieldRef, Values};
use falco_inspector::scap::Reader;
use falco_inspector::{Inspector, ScapInspector};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = Reader::new(std::io::Cursor::new(data.to_vec())) else { return };
    let mut insp = ScapInspector::from_reader(reader);
    let mut x = insp.extractor();
    let nfields = insp.schema().fields().len() as u32;
    let mut vals = Values::new();
    let mut n = 0;
    while let Ok(Some(evt)) = insp.next_event() {
        for id in 0..nfields {
            for arg in [FieldArg::None, FieldArg::Index(1), FieldArg::Key("fd".into())] {
                vals.clear();
                x.extract(&evt, &FieldRef { id: FieldId(id), arg }, &mut vals.sink());
            }
        }
        n += 1;
        if n > 10_000 {
            break;
        }
    }
});
