//! Arbitrary text as a rules file: read, collected, compiled against the syscall schema,
//! rendered as Falco's text and JSON results. Load errors are fine, panics are bugs.
#![no_main]

use falco_engine::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut engine = Engine::new();
    if engine.add_source((*falco_inspector::fields::schema()).clone()).is_err() {
        return;
    }
    let res = engine.load_rules(&text, "fuzz.yaml");
    let _ = res.verbose(engine.contents());
    let _ = res.as_json(engine.contents());
    let _ = engine.rules();
});
