//! Rules files through the public API: append and override, exceptions, visibility of
//! macros and lists, version requirements, warnings with Falco's codes, and hostile input.

use falco_engine::*;

fn engine() -> Engine {
    let mut s = Schema::new("syscall");
    for (n, t) in [
        ("evt.type", FieldType::CharBuf),
        ("proc.name", FieldType::CharBuf),
        ("proc.cmdline", FieldType::CharBuf),
        ("fd.name", FieldType::FsPath),
        ("user.uid", FieldType::U32),
    ] {
        s.add_field(FieldInfo::new(n, t, "")).unwrap();
    }
    let mut t = EventTypeTable::new(300);
    for (i, name) in ["open", "openat", "execve", "connect"].iter().enumerate() {
        t.add(name, EventType(2 * i as u16 + 2));
        t.add(name, EventType(2 * i as u16 + 3));
    }
    s.set_event_types(t);
    let mut e = Engine::new();
    e.add_source(s).unwrap();
    e
}

fn load(e: &mut Engine, text: &str) -> LoadResult {
    e.load_rules(text, "rules.yaml")
}

fn condition(e: &Engine, rule: &str) -> String {
    let rules = e.rules();
    let r = rules.sources().iter().flat_map(|s| s.rules()).find(|r| r.rule.name == rule).unwrap();
    r.rule.condition.to_string()
}

const BASE: &str = r#"
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: "shell %proc.name"
  priority: WARNING
  tags: [a]
"#;

#[test]
fn lists_macros_and_printed_conditions() {
    let mut e = engine();
    let r = load(&mut e, BASE);
    assert!(r.successful() && !r.has_warnings(), "{}", r.summary());
    assert_eq!(condition(&e, "shell"), "(evt.type = execve and proc.name in (bash, sh))");
}

#[test]
fn override_append_and_replace() {
    let mut e = engine();
    assert!(load(&mut e, BASE).successful());
    let r = load(
        &mut e,
        r#"
- list: shells
  items: [zsh]
  override:
    items: append
- rule: shell
  condition: and user.uid = 0
  priority: ERROR
  tags: [b]
  override:
    condition: append
    priority: replace
    tags: replace
"#,
    );
    assert!(r.successful(), "{}", r.verbose(e.contents()));
    assert_eq!(
        condition(&e, "shell"),
        "(evt.type = execve and proc.name in (bash, sh, zsh) and user.uid = 0)"
    );
    let rules = e.rules();
    let rule = rules.sources()[0].rules()[0].rule.clone();
    assert_eq!(rule.priority, Priority::Error);
    assert_eq!(rule.tags.iter().cloned().collect::<Vec<_>>(), ["b"]);
}

#[test]
fn override_errors_are_falcos() {
    let mut e = engine();
    assert!(load(&mut e, BASE).successful());
    let r = load(&mut e, "- rule: shell\n  priority: INFO\n  override:\n    priority: append\n");
    assert_eq!(r.errors[0].message, "Key 'priority' cannot be appended to, use 'replace' instead");
    let mut e = engine();
    assert!(load(&mut e, BASE).successful());
    let r = load(&mut e, "- rule: shell\n  condition: x\n  override:\n    desc: replace\n");
    assert_eq!(
        r.errors[0].message,
        "An replace override for 'desc' was specified but 'desc' is not defined"
    );
    let mut e = engine();
    let r = load(&mut e, "- rule: nope\n  condition: x\n  override:\n    condition: append\n");
    assert_eq!(
        r.errors[0].message,
        "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists"
    );
}

#[test]
fn exceptions_become_conditions() {
    let mut e = engine();
    let r = load(
        &mut e,
        r#"
- rule: r
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: pairs
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /tmp]
        - ["my prog", /var/log]
    - name: single
      fields: proc.name
      values: [a, "b c"]
"#,
    );
    assert!(r.successful(), "{}", r.summary());
    assert_eq!(
        condition(&e, "r"),
        "(evt.type = open and not ((proc.name = cat and fd.name startswith /tmp) or (proc.name = \"my prog\" and fd.name startswith /var/log)) and not proc.name in (a, \"b c\"))"
    );
}

#[test]
fn macros_only_see_earlier_macros() {
    let mut e = engine();
    let r = load(
        &mut e,
        "- macro: a\n  condition: b\n- macro: b\n  condition: evt.type = open\n- rule: r\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n",
    );
    assert_eq!(r.errors[0].message, "Undefined macro 'b' used in filter.");
}

#[test]
fn engine_versions() {
    for (req, ok) in [
        ("13", true),
        ("0.57.0", true),
        ("0.63.0", true),
        ("0.64.0", false),
        ("1.0.0", false),
        ("9999999", false),
    ] {
        let mut e = engine();
        let r = load(&mut e, &format!("- required_engine_version: {req}\n"));
        assert_eq!(r.successful(), ok, "{req}: {}", r.summary());
        if !ok {
            assert!(r.errors[0].message.starts_with(&format!(
                "Rules require engine version {req}, but engine version is 0.63.0"
            )));
        }
    }
}

#[test]
fn warnings_have_falcos_codes() {
    let mut e = engine();
    let r = load(
        &mut e,
        r#"
- list: unused_list
  items: [a]
- macro: unused_macro
  condition: evt.type = open
- macro: "bad name"
  condition: evt.type = open
- rule: r
  desc: d
  condition: proc.name = x
  output: o
  priority: INFO
  typo_key: 1
- rule: other_source
  desc: d
  condition: k.x = 1
  output: o
  priority: INFO
  source: k8s_audit
- unknown_item: 1
"#,
    );
    assert!(r.successful(), "{}", r.summary());
    let codes: Vec<&str> = r.warnings.iter().map(|w| w.code.as_str()).collect();
    for want in [
        "LOAD_INVALID_MACRO_NAME",
        "LOAD_UNKNOWN_KEY",
        "LOAD_NO_EVTTYPE",
        "LOAD_UNKNOWN_SOURCE",
        "LOAD_UNKNOWN_ITEM",
        "LOAD_UNUSED_MACRO",
        "LOAD_UNUSED_LIST",
    ] {
        assert!(codes.contains(&want), "{want} not in {codes:?}");
    }
}

#[test]
fn priorities_in_every_spelling() {
    for p in [
        "EMERGENCY",
        "alert",
        "Critical",
        "ERROR",
        "warning",
        "Notice",
        "INFO",
        "informational",
        "DEBUG",
    ] {
        let mut e = engine();
        let r = load(
            &mut e,
            &format!(
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: {p}\n"
            ),
        );
        assert!(r.successful(), "{p}");
    }
    let mut e = engine();
    let r = load(
        &mut e,
        "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: LOUD\n",
    );
    assert_eq!(r.errors[0].message, "Invalid priority");
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep = "(".repeat(10_000) + "evt.type = open" + &")".repeat(10_000);
    let mut e = engine();
    let r = load(
        &mut e,
        &format!("- rule: r\n  desc: d\n  condition: '{deep}'\n  output: o\n  priority: INFO\n"),
    );
    assert_eq!(r.errors[0].code, ErrorCode::CompileCondition);
    assert!(r.errors[0].message.starts_with("exceeded max depth limit"));

    let mut text = String::from("- macro: m0\n  condition: evt.type = open\n");
    for i in 1..10_000 {
        text.push_str(&format!("- macro: m{i}\n  condition: proc.name = x and m{}\n", i - 1));
    }
    text.push_str("- rule: r\n  desc: d\n  condition: m9999\n  output: o\n  priority: INFO\n");
    let mut e = engine();
    let r = load(&mut e, &text);
    assert!(!r.successful());
    assert!(r.errors[0].message.contains("exceeded max depth limit"), "{}", r.errors[0].message);
}

#[test]
fn selection_and_min_priority() {
    let rules = r#"
- rule: a_one
  desc: d
  condition: evt.type = open
  output: o
  priority: WARNING
  tags: [x]
- rule: b_two
  desc: d
  condition: evt.type = open
  output: o
  priority: DEBUG
  tags: [y]
- rule: c_three
  desc: d
  condition: evt.type = open
  output: o
  priority: ERROR
  enabled: false
"#;
    let count = |f: &dyn Fn(&mut Engine)| {
        let mut e = engine();
        assert!(load(&mut e, rules).successful());
        f(&mut e);
        e.rules().enabled_count(RulesetId::DEFAULT)
    };
    assert_eq!(count(&|_| {}), 2);
    assert_eq!(
        count(&|e| e.set_min_priority(Priority::Warning)),
        1,
        "min priority applies to snapshots"
    );
    assert_eq!(
        count(&|e| e.enable_rule("one", NameMatch::Substring, false, RulesetId::DEFAULT)),
        1
    );
    assert_eq!(count(&|e| e.enable_rule("c_*", NameMatch::Wildcard, true, RulesetId::DEFAULT)), 3);
    assert_eq!(count(&|e| e.enable_tags(&["y"], false, RulesetId::DEFAULT)), 1);
    let mut e = engine();
    e.set_min_priority(Priority::Warning);
    assert!(load(&mut e, rules).successful());
    assert_eq!(e.rules().enabled_count(RulesetId::DEFAULT), 1);
}

#[test]
fn text_and_json_results() {
    let mut e = engine();
    let r = load(
        &mut e,
        "- rule: r\n  desc: d\n  condition: evt.type = open and\n  output: o\n  priority: INFO\n",
    );
    let text = r.verbose(e.contents());
    assert!(text.starts_with("rules.yaml: Invalid\n1 Errors:\nIn rules content: (rules.yaml:0:0)\n    rule 'r': (rules.yaml:0:2)"), "{text}");
    assert!(text.contains(
        "LOAD_ERR_COMPILE_CONDITION (Error compiling condition): expected blank or '(' after 'and'"
    ));
    let j = r.as_json(e.contents());
    assert_eq!(j["errors"][0]["context"]["locations"][1]["item_name"], "r");
}
