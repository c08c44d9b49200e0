//! Every field the current upstream Falco ruleset uses is in the `syscall` schema, with the
//! type, argument rules, flags and multiplicity of libsinsp (libs master
//! `sinsp_filtercheck_*.cpp`) or, for `container.*`, of the `container` plugin.

use std::path::PathBuf;

use falco_engine::{FieldArg, FieldType, Multiplicity};
use falco_inspector::fields::{SyscallExtractor, schema};

/// (field, libs type name, libs flags). From libs master and the container plugin README.
const EXPECTED: &[(&str, &str, &str)] = &[
    ("container.id", "CHARBUF", ""),
    ("container.image.repository", "CHARBUF", ""),
    ("container.privileged", "BOOL", ""),
    ("container.start_ts", "ABSTIME", ""),
    ("evt.arg", "CHARBUF", "EPF_ARG_REQUIRED"),
    ("evt.args", "CHARBUF", ""),
    ("evt.is_open_read", "BOOL", ""),
    ("evt.is_open_write", "BOOL", ""),
    ("evt.num", "UINT64", ""),
    ("evt.rawres", "INT64", ""),
    ("evt.res", "CHARBUF", ""),
    ("evt.type", "CHARBUF", ""),
    ("fd.connected", "BOOL", ""),
    ("fd.directory", "CHARBUF", ""),
    ("fd.filename", "CHARBUF", ""),
    ("fd.ip", "IPADDR", "EPF_FILTER_ONLY | EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("fd.l4proto", "CHARBUF", ""),
    ("fd.lport", "PORT", ""),
    ("fd.name", "CHARBUF", ""),
    ("fd.name_changed", "BOOL", ""),
    ("fd.nameraw", "CHARBUF", ""),
    ("fd.net", "IPNET", "EPF_FILTER_ONLY | EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("fd.num", "INT64", ""),
    ("fd.rport", "PORT", ""),
    ("fd.sip", "IPADDR", ""),
    ("fd.sip.name", "CHARBUF", "EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("fd.snet", "IPNET", "EPF_FILTER_ONLY | EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("fd.sport", "PORT", ""),
    ("fd.type", "CHARBUF", ""),
    ("fd.typechar", "CHARBUF", ""),
    ("group.gid", "UINT32", ""),
    ("group.name", "CHARBUF", ""),
    ("k8s.ns.name", "CHARBUF", ""),
    ("proc.aexepath", "CHARBUF", "EPF_ARG_ALLOWED | EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("proc.aname", "CHARBUF", "EPF_ARG_ALLOWED | EPF_NO_RHS | EPF_NO_TRANSFORMER"),
    ("proc.args", "CHARBUF", "EPF_ARG_ALLOWED"),
    ("proc.cmdline", "CHARBUF", ""),
    ("proc.cwd", "CHARBUF", ""),
    ("proc.duration", "RELTIME", ""),
    ("proc.exe", "CHARBUF", ""),
    ("proc.exe_ino.ctime", "ABSTIME", ""),
    ("proc.exe_ino.ctime_duration_proc_start", "ABSTIME", ""),
    ("proc.exe_ino.mtime", "ABSTIME", ""),
    ("proc.exepath", "CHARBUF", ""),
    ("proc.is_exe_from_memfd", "BOOL", ""),
    ("proc.is_exe_upper_layer", "BOOL", ""),
    ("proc.name", "CHARBUF", ""),
    ("proc.pcmdline", "CHARBUF", ""),
    ("proc.pexe", "CHARBUF", ""),
    ("proc.pexepath", "CHARBUF", ""),
    ("proc.pname", "CHARBUF", ""),
    ("proc.sname", "CHARBUF", ""),
    ("proc.tty", "UINT32", ""),
    ("thread.cap_effective", "CHARBUF", ""),
    ("user.loginname", "CHARBUF", ""),
    ("user.loginuid", "INT64", ""),
    ("user.name", "CHARBUF", ""),
    ("user.uid", "UINT32", ""),
];

fn upstream_fields() -> Vec<String> {
    let dir = std::env::var("FALCO_CONFORMANCE_DIR").map(PathBuf::from).unwrap_or_else(|_| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
    });
    let p = dir.join("fields_used_by_upstream_rules.txt");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

#[test]
fn every_upstream_field_resolves_with_libs_semantics() {
    let s = schema();
    let x = SyscallExtractor::new(s.clone());
    let fields = upstream_fields();
    assert_eq!(fields.len(), 71, "the list names 71 fields");
    for written in &fields {
        let r = x.field_ref(written).unwrap_or_else(|| panic!("{written} does not resolve"));
        let info = s.field(r.id);
        let (_, ty, flags) = EXPECTED
            .iter()
            .find(|(n, _, _)| *n == info.name)
            .unwrap_or_else(|| panic!("no expectation for {}", info.name));
        assert_eq!(info.ftype, FieldType::parse(ty).unwrap(), "{written}: type");
        assert_eq!(info.filter_only, flags.contains("EPF_FILTER_ONLY"), "{written}: filter only");
        assert_eq!(info.no_rhs, flags.contains("EPF_NO_RHS"), "{written}: no rhs");
        assert_eq!(
            info.no_transformer,
            flags.contains("EPF_NO_TRANSFORMER"),
            "{written}: transformer"
        );
        assert_eq!(
            info.arg.required,
            flags.contains("EPF_ARG_REQUIRED"),
            "{written}: arg required"
        );
        let allowed = flags.contains("EPF_ARG_ALLOWED") || flags.contains("EPF_ARG_REQUIRED");
        assert_eq!(info.arg.accepts_arg(), allowed, "{written}: arg allowed");
        match &r.arg {
            FieldArg::None => assert!(!info.arg.required, "{written}"),
            FieldArg::Index(_) => assert!(info.arg.index, "{written}: numeric argument"),
            FieldArg::Key(_) => assert!(info.arg.key, "{written}: key argument"),
        }
    }
}

#[test]
fn multiplicities_follow_libsinsp() {
    let s = schema();
    let m = |n: &str| s.field(s.by_name(n).unwrap()).multiplicity;
    assert_eq!(m("proc.aname"), Multiplicity::Any, "bare proc.aname: any ancestor");
    assert_eq!(m("proc.apid"), Multiplicity::Any);
    assert_eq!(m("proc.aexepath"), Multiplicity::Any);
    for f in ["fd.ip", "fd.net", "fd.port", "fd.proto"] {
        assert_eq!(m(f), Multiplicity::EitherEnd, "{f}");
    }
    for f in ["fd.sip", "fd.snet", "proc.name", "evt.type"] {
        assert_eq!(m(f), Multiplicity::One, "{f}");
    }
}

#[test]
fn event_type_table_covers_every_event_and_generic_syscalls() {
    let s = schema();
    let t = s.event_types().expect("syscall has event types");
    let open = t.codes("open").unwrap();
    assert!(open.iter().any(|c| c.0 == 2) && open.iter().any(|c| c.0 == 3), "{open:?}");
    // execve: every version's enter and exit.
    assert!(t.codes("execve").unwrap().len() >= 16);
    // Generic syscalls are named after the syscall and map to PPME_GENERIC_E/X.
    let madvise = t.codes("madvise").unwrap();
    assert!(madvise.iter().any(|c| c.0 == 0) && madvise.iter().any(|c| c.0 == 1));
    assert!(t.codes("procinfo").is_some());
    assert!(t.codes("no_such_syscall").is_none());
    assert!(t.count() >= 400);
}
