//! `Plugin::from_api`: a plugin linked into the process (the SDK's static vtable), as the
//! SDK's own runner registers plugins.

use falco_engine::{FieldArg, Value, Values};
use falco_plugin_host::{EventBatch, EventInput, Plugin, SourceInstance};

#[test]
fn statically_linked_plugin_works_like_a_loaded_one() {
    let p = Plugin::from_api(&counter_plugin::PLUGIN_API).unwrap();
    assert_eq!(p.name(), "counter");
    assert_eq!(p.fields().len(), 8);
    let mut src = SourceInstance::open(p.init(r#"{"start": 41}"#).unwrap(), "2").unwrap();
    let mut batch = EventBatch::new();
    src.next_batch(&mut batch).unwrap();
    let input = EventInput { event: batch.get(1).unwrap(), num: 2, source: c"counter" };
    let mut vals = Values::new();
    src.instance().extract(&input, 0, &FieldArg::None, &mut vals.sink()).unwrap();
    assert_eq!(vals.get(0), Value::U64(42));
}
