//! Runs the table of condition cases in `tests/fixtures/operators.yaml` against a small
//! source whose fields cover every type and multiplicity, through the public API (rules file,
//! engine, snapshot, run), so each case exercises parsing, compiling and evaluation.

use std::collections::HashMap;

use falco_engine::rules::yaml::{self, Node, NodeKind};
use falco_engine::*;

/// One event: field name -> values (strings; the extractor types them).
struct Ev {
    etype: u16,
    fields: HashMap<String, Vec<String>>,
}

impl Event for Ev {
    fn event_type(&self) -> EventType {
        EventType(self.etype)
    }
    fn timestamp(&self) -> u64 {
        0
    }
}

struct X {
    schema: std::sync::Arc<Schema>,
}

impl Extractor for X {
    type Event<'e> = Ev;
    fn extract(&mut self, evt: &Ev, f: &FieldRef, out: &mut ValueSink<'_>) {
        let info = self.schema.field(f.id);
        let name = info.name.as_str();
        let vals: Vec<String> = match (&f.arg, name) {
            (FieldArg::Key(k), _) => {
                evt.fields.get(&format!("{name}.{k}")).cloned().unwrap_or_default()
            }
            (FieldArg::Index(i), _) => evt
                .fields
                .get(name)
                .and_then(|v| v.get((*i as usize).wrapping_sub(1)).cloned())
                .into_iter()
                .collect(),
            (FieldArg::None, "evt.type") => match evt.etype {
                2 => vec!["open".into()],
                10 => vec!["execve".into()],
                20 => vec!["connect".into()],
                _ => vec![],
            },
            (FieldArg::None, _) => evt.fields.get(name).cloned().unwrap_or_default(),
        };
        for v in vals {
            match info.ftype.class() {
                TypeClass::Unsigned => out.push_u64(v.parse().unwrap()),
                TypeClass::Signed => out.push_i64(v.parse().unwrap()),
                TypeClass::Double => out.push_double(v.parse().unwrap()),
                TypeClass::Bool => out.push_bool(v == "true"),
                TypeClass::Ip | TypeClass::Net => out.push_ip(v.parse().unwrap()),
                TypeClass::String | TypeClass::Bytes => out.push_str(&v),
            }
        }
    }
}

fn schema() -> Schema {
    let mut s = Schema::new("test");
    let add = |s: &mut Schema, f: FieldInfo| {
        s.add_field(f).unwrap();
    };
    add(&mut s, FieldInfo::new("evt.type", FieldType::CharBuf, ""));
    add(&mut s, FieldInfo::new("t.str", FieldType::CharBuf, ""));
    add(&mut s, FieldInfo::new("t.str2", FieldType::CharBuf, ""));
    add(&mut s, FieldInfo::new("t.path", FieldType::FsPath, ""));
    add(&mut s, FieldInfo::new("t.u64", FieldType::U64, ""));
    add(&mut s, FieldInfo::new("t.u32", FieldType::U32, ""));
    add(&mut s, FieldInfo::new("t.i64", FieldType::I64, ""));
    add(&mut s, FieldInfo::new("t.bool", FieldType::Bool, ""));
    add(&mut s, FieldInfo::new("t.ip", FieldType::IpAddr, ""));
    add(&mut s, FieldInfo::new("t.net", FieldType::IpNet, ""));
    add(&mut s, FieldInfo::new("t.buf", FieldType::ByteBuf, ""));
    add(&mut s, FieldInfo::new("t.double", FieldType::Double, ""));
    add(
        &mut s,
        FieldInfo::new("t.list", FieldType::CharBuf, "").with_multiplicity(Multiplicity::List),
    );
    add(
        &mut s,
        FieldInfo::new("t.ulist", FieldType::U64, "").with_multiplicity(Multiplicity::List),
    );
    add(
        &mut s,
        FieldInfo::new("t.anc", FieldType::CharBuf, "")
            .with_multiplicity(Multiplicity::Any)
            .with_arg(ArgSpec::OPTIONAL_INDEX),
    );
    add(
        &mut s,
        FieldInfo::new("t.end", FieldType::IpAddr, "").with_multiplicity(Multiplicity::EitherEnd),
    );
    add(&mut s, FieldInfo::new("t.arg", FieldType::CharBuf, "").with_arg(ArgSpec::REQUIRED_KEY));
    let mut table = EventTypeTable::new(32);
    table.add("open", EventType(2));
    table.add("open", EventType(3));
    table.add("execve", EventType(10));
    table.add("connect", EventType(20));
    s.set_event_types(table);
    s
}

fn scalar_list(n: &Node) -> Vec<String> {
    match &n.kind {
        NodeKind::Seq(items) => {
            items.iter().map(|i| i.scalar().unwrap_or("").to_string()).collect()
        }
        NodeKind::Null => vec![String::new()],
        _ => vec![n.scalar().unwrap_or("").to_string()],
    }
}

fn yaml_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[test]
fn operator_table() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/operators.yaml"
    ))
    .unwrap();
    let docs = yaml::load_all(&text).unwrap();
    let huge: Vec<String> = (0..10_000).map(|i| format!("item{i}")).collect();
    let huge = huge.join(", ");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in docs[0].items() {
        let name = case.get("name").and_then(|n| n.scalar()).unwrap();
        let condition =
            case.get("condition").and_then(|n| n.scalar()).unwrap().replace("HUGE_LIST", &huge);
        let mut engine = Engine::new();
        let idx = engine.add_source(schema()).unwrap();
        let rules = format!(
            "- rule: r\n  desc: d\n  condition: {}\n  output: o\n  priority: INFO\n  source: test\n",
            yaml_quote(&condition)
        );
        let res = engine.load_rules(&rules, "case.yaml");
        if let Some(want) = case.get("error").and_then(|n| n.scalar()) {
            checked += 1;
            match res.errors.first() {
                Some(e) if e.message.contains(want) => {}
                other => failures.push(format!(
                    "{name}: want error {want:?}, got {:?}",
                    other.map(|e| &e.message)
                )),
            }
            continue;
        }
        if !res.successful() {
            failures.push(format!(
                "{name}: does not load: {:?}",
                res.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
            ));
            continue;
        }
        let snapshot = engine.rules();
        let source = snapshot.source(idx).unwrap();
        let mut x = X { schema: source.schema().clone() };
        let mut scratch = Scratch::default();
        let mut matches = Vec::new();
        for (i, pair) in case.get("events").unwrap().items().iter().enumerate() {
            let (map, want) = (&pair.items()[0], pair.items()[1].as_bool().unwrap());
            let mut fields = HashMap::new();
            let mut etype = 2;
            for (k, v) in map.entries() {
                let k = k.scalar().unwrap().to_string();
                if k == "evt.type" {
                    etype = match v.scalar().unwrap() {
                        "open" => 2,
                        "execve" => 10,
                        _ => 20,
                    };
                    continue;
                }
                fields.insert(k, scalar_list(v));
            }
            let evt = Ev { etype, fields };
            let got = source.run(
                RulesetId::DEFAULT,
                RuleMatching::First,
                &evt,
                &mut x,
                &mut scratch,
                &mut matches,
            ) > 0;
            checked += 1;
            if got != want {
                failures.push(format!("{name}: event #{i}: got {got}, want {want}"));
            }
        }
    }
    assert!(checked > 100, "only {checked} events checked");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
