//! Arbitrary text as a condition: parsed and printed back (as Falco prints conditions), and the
//! printed form parsed again. Parse errors are fine (Falco's printing is not always
//! re-parsable: field arguments are printed raw), panics are bugs.
#![no_main]

use falco_engine::filter::parse::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(ast) = Parser::new(text).max_depth(1000).parse() else { return };
    let printed = ast.to_string();
    let _ = Parser::new(&printed).max_depth(1000).parse();
});
