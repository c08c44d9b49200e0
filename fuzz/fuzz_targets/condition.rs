//! Arbitrary text as a condition: parsed, printed back, and (when it parses) the printed form
//! parses to the same tree. Parse errors are fine, panics and round-trip changes are bugs.
#![no_main]

use falco_engine::filter::parse::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(ast) = Parser::new(text).parse() else { return };
    let printed = ast.to_string();
    let again = Parser::new(&printed).parse().expect("a printed condition parses");
    assert_eq!(again.to_string(), printed, "printing is stable");
});
