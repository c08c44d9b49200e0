use falco_engine::*;
fn main() {
    let rules = std::fs::read_to_string(falco_benches::conformance_dir().join("rules/upstream/falco_rules.yaml")).unwrap();
    let mut e = Engine::new();
    let idx = e.add_source((*falco_inspector::fields::schema()).clone()).unwrap();
    let r = e.load_rules(&rules, "f.yaml");
    println!("{}", r.summary());
    let snap = e.rules();
    let src = snap.source(idx).unwrap();
    for entry in src.rules() {
        let n = entry.rule.evttypes.as_ref().map(|v| v.len()).unwrap_or(0);
        let names: Vec<String> = entry.rule.evttypes.as_ref().unwrap().iter().take(8).filter_map(|t| falco_inspector::event::event_info(t.0).map(|i| i.name.to_string())).collect();
        println!("{:3} {} {:?}", n, entry.rule.name, names);
    }
}
