//! Falco's command line, parsed with clap. Only definitions live here; the actions give the
//! flags their meaning.

use clap::{ArgAction, Parser};

/// Falco's command-line flags (current Falco's, plus the legacy `-e`, `-A`, `-D`, `-T`, `-t`
/// that capture replays and many documents still use).
#[derive(Parser, Debug, Default, Clone)]
#[command(
    name = "falco",
    about = "Falco, the cloud-native runtime security tool, rebuilt in Rust: every event source in one process.",
    disable_version_flag = true,
    disable_help_flag = true
)]
pub struct Flags {
    /// Print this help list and exit.
    #[arg(short = 'h', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Configuration file. If not specified uses /etc/falco/falco.yaml when it exists, else
    /// built-in defaults.
    #[arg(short = 'c', value_name = "path")]
    pub config: Option<String>,

    /// Print the config json schema and exit.
    #[arg(long = "config-schema")]
    pub config_schema: bool,

    /// Print the rule json schema and exit.
    #[arg(long = "rule-schema")]
    pub rule_schema: bool,

    /// Turn off a specific <event_source>. Can be passed multiple times; can not be mixed with
    /// --enable-source.
    #[arg(long = "disable-source", value_name = "event_source")]
    pub disable_source: Vec<String>,

    /// Turn on only the given <event_source>s. Can be passed multiple times; can not be mixed
    /// with --disable-source.
    #[arg(long = "enable-source", value_name = "event_source")]
    pub enable_source: Vec<String>,

    /// Run Falco without processing events (check configuration and rules).
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Print the events that are ignored by default and exit.
    #[arg(short = 'i')]
    pub print_ignored_events: bool,

    /// Show the name and description of all rules and exit (details in JSON with
    /// json_output=true).
    #[arg(short = 'L')]
    pub describe_all_rules: bool,

    /// Show the name and description of the rule <rule> and exit.
    #[arg(short = 'l', value_name = "rule")]
    pub describe_rule: Option<String>,

    /// List all defined fields and exit; with <source>, only that source's fields.
    #[arg(long = "list", value_name = "source", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub list: Option<String>,

    /// List all defined syscall events, metaevents and tracepoint events and exit.
    #[arg(long = "list-events", alias = "list-syscall-events")]
    pub list_events: bool,

    /// Print info on all loaded plugins and exit.
    #[arg(long = "list-plugins")]
    pub list_plugins: bool,

    /// Stop Falco execution after <num_seconds>.
    #[arg(short = 'M', value_name = "num_seconds", default_value_t = 0)]
    pub duration: u64,

    /// DEPRECATED: use --format markdown instead.
    #[arg(long = "markdown")]
    pub markdown: bool,

    /// Output format for --list and --list-events: text, markdown or json.
    #[arg(long = "format", value_name = "format")]
    pub format: Option<String>,

    /// Only print field names with --list.
    #[arg(short = 'N')]
    pub names_only: bool,

    /// Set option <opt> to <val>, overriding the configuration file (dot notation, list[N]).
    #[arg(short = 'o', long = "option", value_name = "opt>=<val")]
    pub options: Vec<String>,

    /// Print info for the plugin <plugin_name> (its name or library_path) and exit.
    #[arg(long = "plugin-info", value_name = "plugin_name")]
    pub plugin_info: Option<String>,

    /// DEPRECATED: append <output_format> to every rule's output (-pc / -pk for container or
    /// Kubernetes details).
    #[arg(short = 'p', long = "print", value_name = "output_format")]
    pub print: Option<String>,

    /// Write the PID to <pid_file>.
    #[arg(short = 'P', long = "pidfile", value_name = "pid_file")]
    pub pidfile: Option<String>,

    /// Rules file or directory to load (repeatable; directories load *.yaml/*.yml in name
    /// order).
    #[arg(short = 'r', value_name = "rules_file")]
    pub rules: Vec<String>,

    /// Print support information (version, rules files, configuration) as JSON and exit.
    #[arg(long = "support")]
    pub support: bool,

    /// Turn off output buffering.
    #[arg(short = 'U', long = "unbuffered")]
    pub unbuffered: bool,

    /// Validate the given rules file(s) and exit (repeatable).
    #[arg(short = 'V', long = "validate", value_name = "rules_file")]
    pub validate: Vec<String>,

    /// Verbose output.
    #[arg(short = 'v', action = ArgAction::SetTrue)]
    pub verbose: bool,

    /// Print version information and exit.
    #[arg(long = "version")]
    pub version: bool,

    /// Print the system page size and exit.
    #[arg(long = "page-size")]
    pub page_size: bool,

    // ---- legacy flags, still used by capture replays and many documents ----
    /// Read events from the capture file <events_file> (same as
    /// -o engine.kind=replay -o engine.replay.capture_file=<events_file>).
    #[arg(short = 'e', value_name = "events_file")]
    pub capture: Option<String>,

    /// Monitor all events, including those not interesting to Falco (only affects live
    /// drivers; accepted for compatibility).
    #[arg(short = 'A')]
    pub all_events: bool,

    /// Disable the rules whose name contains <substring> (repeatable; not with -t).
    #[arg(short = 'D', value_name = "substring")]
    pub disable_rules: Vec<String>,

    /// Disable the rules having tag <tag> (repeatable; not with -t).
    #[arg(short = 'T', value_name = "tag")]
    pub disable_tags: Vec<String>,

    /// Only run the rules having tag <tag> (repeatable; not with -T/-D).
    #[arg(short = 't', value_name = "tag")]
    pub run_tags: Vec<String>,

    // ---- flags of kernel drivers and metadata clients: accepted, then refused clearly ----
    /// Not supported: live kernel drivers (modern eBPF).
    #[arg(long = "modern-bpf", hide = true)]
    pub modern_bpf: bool,
    /// Not supported: the userspace (pdig) driver.
    #[arg(short = 'u', long = "userspace", hide = true)]
    pub userspace: bool,
    /// Not supported: gVisor.
    #[arg(short = 'g', long = "gvisor-config", hide = true)]
    pub gvisor_config: Option<String>,
    /// Not supported: gVisor.
    #[arg(long = "gvisor-generate-config", hide = true, num_args = 0..=1, default_missing_value = "/run/falco/gvisor.sock")]
    pub gvisor_generate_config: Option<String>,
    /// Not supported: gVisor.
    #[arg(long = "gvisor-root", hide = true)]
    pub gvisor_root: Option<String>,
    /// Not supported: live drivers.
    #[arg(long = "nodriver", hide = true)]
    pub nodriver: bool,
    /// Not supported: Kubernetes API client (use the k8smeta plugin).
    #[arg(short = 'k', long = "k8s-api", hide = true)]
    pub k8s_api: Option<String>,
    /// Not supported: Kubernetes API client.
    #[arg(short = 'K', long = "k8s-api-cert", hide = true)]
    pub k8s_api_cert: Option<String>,
    /// Not supported: Kubernetes API client.
    #[arg(long = "k8s-node", hide = true)]
    pub k8s_node: Option<String>,
    /// Not supported: CRI metadata client (use the container plugin).
    #[arg(long = "cri", hide = true)]
    pub cri: Vec<String>,
    /// Not supported: CRI metadata client.
    #[arg(long = "disable-cri-async", hide = true)]
    pub disable_cri_async: bool,
    /// Not supported: Mesos (removed from Falco).
    #[arg(short = 'm', long = "mesos-api", hide = true)]
    pub mesos_api: Option<String>,
    /// Not supported: live capture snap length.
    #[arg(short = 'S', long = "snaplen", hide = true)]
    pub snaplen: Option<u64>,
    /// Not supported: daemon mode (use a service manager).
    #[arg(short = 'd', long = "daemon", hide = true)]
    pub daemon: bool,
    /// Not supported: live capture statistics file.
    #[arg(short = 's', hide = true)]
    pub stats_file: Option<String>,
    /// Not supported: live capture statistics interval.
    #[arg(long = "stats-interval", hide = true)]
    pub stats_interval: Option<u64>,
    /// Not supported: base64 printing of buffers.
    #[arg(short = 'b', long = "print-base64", hide = true)]
    pub print_base64: bool,
}

impl Flags {
    /// The first kernel-driver or metadata-client flag given, for the "not supported" error.
    pub fn unsupported_flag(&self) -> Option<&'static str> {
        let checks: [(bool, &'static str); 17] = [
            (self.modern_bpf, "--modern-bpf"),
            (self.userspace, "-u/--userspace"),
            (self.gvisor_config.is_some(), "-g/--gvisor-config"),
            (self.gvisor_generate_config.is_some(), "--gvisor-generate-config"),
            (self.gvisor_root.is_some(), "--gvisor-root"),
            (self.nodriver, "--nodriver"),
            (self.k8s_api.is_some(), "-k/--k8s-api"),
            (self.k8s_api_cert.is_some(), "-K/--k8s-api-cert"),
            (self.k8s_node.is_some(), "--k8s-node"),
            (!self.cri.is_empty(), "--cri"),
            (self.disable_cri_async, "--disable-cri-async"),
            (self.mesos_api.is_some(), "-m/--mesos-api"),
            (self.snaplen.is_some(), "-S/--snaplen"),
            (self.daemon, "-d/--daemon"),
            (self.stats_file.is_some(), "-s"),
            (self.stats_interval.is_some(), "--stats-interval"),
            (self.print_base64, "-b/--print-base64"),
        ];
        checks.iter().find(|(on, _)| *on).map(|(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Flags {
        Flags::try_parse_from(std::iter::once("falco").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn conformance_style_command_lines() {
        let f = parse(&[
            "-r",
            "a.yaml",
            "-r",
            "b.yaml",
            "-c",
            "falco.yaml",
            "-e",
            "t.scap",
            "-o",
            "json_output=False",
            "-o",
            "priority=debug",
            "-v",
            "-D",
            "x",
            "-T",
            "a",
            "-t",
            "b",
            "-M",
            "5",
            "-A",
        ]);
        assert_eq!(f.rules, ["a.yaml", "b.yaml"]);
        assert_eq!(f.capture.as_deref(), Some("t.scap"));
        assert_eq!(f.options, ["json_output=False", "priority=debug"]);
        assert!(f.verbose && f.all_events);
        assert_eq!(
            (f.disable_rules.len(), f.disable_tags.len(), f.run_tags.len(), f.duration),
            (1, 1, 1, 5)
        );
    }

    #[test]
    fn list_with_and_without_source() {
        assert_eq!(parse(&["--list"]).list.as_deref(), Some(""));
        assert_eq!(parse(&["--list=syscall"]).list.as_deref(), Some("syscall"));
        assert_eq!(parse(&[]).list, None);
        assert_eq!(parse(&["-ojson_output=true"]).options, ["json_output=true"]);
    }

    #[test]
    fn driver_flags_are_recognised_as_unsupported() {
        assert_eq!(parse(&["--modern-bpf"]).unsupported_flag(), Some("--modern-bpf"));
        assert_eq!(parse(&["-k", "http://x"]).unsupported_flag(), Some("-k/--k8s-api"));
        assert_eq!(parse(&["-v"]).unsupported_flag(), None);
    }
}
