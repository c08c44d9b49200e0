//! One file per action, in the order [`crate::app::STEPS`] runs them.

pub mod check_cmdline;
pub mod cleanup_outputs;
pub mod init_engine;
pub mod init_outputs;
pub mod init_sources;
pub mod list_fields;
pub mod load_config;
pub mod load_plugins;
pub mod load_rules;
pub mod pidfile;
pub mod print_events;
pub mod print_page_size;
pub mod print_schemas;
pub mod print_support;
pub mod print_version;
pub mod process_events;
pub mod signals;
pub mod validate_rules;
