//! The output part of `falco.yaml`, as plain structs.
//!
//! Field names are `falco.yaml` keys and missing keys take the defaults Falco's own code
//! uses when a key is absent (so a channel is off unless `enabled: true`). This crate reads
//! no YAML: the CLI deserializes these structs from its parsed configuration with serde.
//!
//! ```
//! use falco_outputs::OutputsConfig;
//! let cfg: OutputsConfig = serde_json::from_str(r#"{
//!     "json_output": true,
//!     "outputs_queue": {"capacity": 1000},
//!     "file_output": {"enabled": true, "keep_alive": true, "filename": "/tmp/events.txt"}
//! }"#)?;
//! assert_eq!(cfg.outputs_queue.capacity, 1000);
//! assert!(cfg.file_output.keep_alive && !cfg.stdout_output.enabled);
//! assert_eq!(cfg.output_timeout, 2000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, ErrorKind};
use crate::format::FormatOptions;

/// Every output option of `falco.yaml`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default)]
pub struct OutputsConfig {
    /// The options that shape each alert's text: `json_output`, the `json_include_*`
    /// options and `time_format_iso_8601`, which are top-level keys of `falco.yaml`.
    #[serde(flatten)]
    pub format: FormatOptions,
    /// `buffered_outputs`: let stdout, file and program channels buffer (default false:
    /// flush after every alert).
    pub buffered_outputs: bool,
    /// `outputs_queue`: the queue between source threads and the output worker.
    pub outputs_queue: OutputsQueue,
    /// `output_timeout`: ms a channel may block the worker before it is reported (default
    /// 2000).
    pub output_timeout: u32,
    /// `stdout_output`.
    pub stdout_output: StdoutOutput,
    /// `syslog_output`.
    pub syslog_output: SyslogOutput,
    /// `file_output`.
    pub file_output: FileOutput,
    /// `program_output`.
    pub program_output: ProgramOutput,
    /// `http_output`.
    pub http_output: HttpOutput,
    /// `grpc_output`: removed from Falco (0.43); kept only so that asking for it is refused
    /// with a clear error instead of being ignored.
    pub grpc_output: GrpcOutput,
}

impl Default for OutputsConfig {
    fn default() -> Self {
        OutputsConfig {
            format: FormatOptions::default(),
            buffered_outputs: false,
            outputs_queue: OutputsQueue::default(),
            output_timeout: 2000,
            stdout_output: StdoutOutput::default(),
            syslog_output: SyslogOutput::default(),
            file_output: FileOutput::default(),
            program_output: ProgramOutput::default(),
            http_output: HttpOutput::default(),
            grpc_output: GrpcOutput::default(),
        }
    }
}

impl OutputsConfig {
    /// Checks what Falco checks when it reads the configuration: an enabled file, program or
    /// HTTP channel needs its filename, program or URL; gRPC output is not supported; at
    /// least one channel must be enabled.
    pub fn validate(&self) -> Result<(), Error> {
        if self.grpc_output.enabled {
            return Err(Error::new(ErrorKind::Unsupported(
                "gRPC output is not supported (Falco removed it in 0.43): disable grpc_output \
                 and use http_output, program_output or file_output instead"
                    .into(),
            )));
        }
        let missing = |output: &'static str, option: &'static str| {
            Error::new(ErrorKind::MissingOption { output, option })
        };
        if self.file_output.enabled && self.file_output.filename.is_empty() {
            return Err(missing("file", "filename"));
        }
        if self.program_output.enabled && self.program_output.program.is_empty() {
            return Err(missing("program", "program"));
        }
        if self.http_output.enabled && self.http_output.url.is_empty() {
            return Err(missing("http", "url"));
        }
        let any = self.stdout_output.enabled
            || self.syslog_output.enabled
            || self.file_output.enabled
            || self.program_output.enabled
            || self.http_output.enabled;
        if !any {
            return Err(Error::new(ErrorKind::NoOutputs));
        }
        Ok(())
    }
}

/// `outputs_queue`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct OutputsQueue {
    /// `capacity`: how many alerts may wait for the output worker; 0 (the default) means
    /// unbounded. When the queue is full, `send` drops the alert and counts it.
    pub capacity: usize,
}

/// `stdout_output`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct StdoutOutput {
    /// `enabled`.
    pub enabled: bool,
}

/// `syslog_output`: alerts to the local syslog socket (`/dev/log`), facility `user`, the
/// rule's priority as severity.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SyslogOutput {
    /// `enabled`.
    pub enabled: bool,
}

/// `file_output`: alerts appended to a file, one per line.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct FileOutput {
    /// `enabled`.
    pub enabled: bool,
    /// `keep_alive`: keep the file open (otherwise it is opened and closed for every alert).
    pub keep_alive: bool,
    /// `filename`: where alerts are appended.
    pub filename: String,
}

/// `program_output`: alerts piped, one per line, into `sh -c <program>`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ProgramOutput {
    /// `enabled`.
    pub enabled: bool,
    /// `keep_alive`: start the program once (otherwise once per alert).
    pub keep_alive: bool,
    /// `program`: the shell command.
    pub program: String,
}

/// `http_output`: alerts POSTed to a URL.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct HttpOutput {
    /// `enabled`.
    pub enabled: bool,
    /// `url` (surrounding quotes are removed, as Falco does).
    pub url: String,
    /// `user_agent` (default `falcosecurity/falco`).
    pub user_agent: String,
    /// `insecure`: do not verify the server's certificate.
    pub insecure: bool,
    /// `ca_cert`: a PEM file with the CA that signs the server's certificate.
    pub ca_cert: String,
    /// `ca_bundle`: a PEM file used as the whole CA store (when `ca_cert` is empty).
    pub ca_bundle: String,
    /// `ca_path`: a directory of PEM CA files (default `/etc/ssl/certs`), used when both
    /// files above are empty.
    pub ca_path: String,
    /// `mtls`: present a client certificate.
    pub mtls: bool,
    /// `client_cert` (default `/etc/ssl/certs/client.crt`).
    pub client_cert: String,
    /// `client_key` (default `/etc/ssl/certs/client.key`).
    pub client_key: String,
    /// `echo`: print the server's answers to stdout.
    pub echo: bool,
    /// `compress_uploads`: as in Falco (libcurl `CURLOPT_TRANSFER_ENCODING`), asks the server
    /// for a compressed response (`TE: gzip`); the request body itself is sent as is.
    pub compress_uploads: bool,
    /// `keep_alive`: reuse the connection. Connections are pooled either way; this only
    /// matters to Falco's libcurl (TCP keep-alive probes).
    pub keep_alive: bool,
    /// `max_consecutive_timeouts`: how many times a timed-out request is retried (default 5).
    pub max_consecutive_timeouts: u8,
    /// `custom_headers` (a falco-rs extension, not a Falco key): extra request headers.
    pub custom_headers: BTreeMap<String, String>,
}

impl Default for HttpOutput {
    fn default() -> Self {
        HttpOutput {
            enabled: false,
            url: String::new(),
            user_agent: "falcosecurity/falco".into(),
            insecure: false,
            ca_cert: String::new(),
            ca_bundle: String::new(),
            ca_path: "/etc/ssl/certs".into(),
            mtls: false,
            client_cert: "/etc/ssl/certs/client.crt".into(),
            client_key: "/etc/ssl/certs/client.key".into(),
            echo: false,
            compress_uploads: false,
            keep_alive: false,
            max_consecutive_timeouts: 5,
            custom_headers: BTreeMap::new(),
        }
    }
}

/// `grpc_output`: only `enabled` is read, to refuse it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct GrpcOutput {
    /// `enabled`.
    pub enabled: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_falcos() {
        let c: OutputsConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c, OutputsConfig::default());
        assert_eq!(c.http_output.user_agent, "falcosecurity/falco");
        assert_eq!(c.http_output.max_consecutive_timeouts, 5);
        let f = &c.format;
        assert!(f.json_include_output_property && f.json_include_tags_property);
        assert!(f.json_include_output_fields_property && !f.json_include_message_property);
        let c: OutputsConfig =
            serde_json::from_str(r#"{"json_output": true, "time_format_iso_8601": true}"#).unwrap();
        assert!(c.format.json_output && c.format.time_format_iso_8601);
        assert!(c.format.json_include_output_property);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "No output configured, please make sure at least one output is configured and enabled."
        );
    }

    #[test]
    fn validation_errors_name_the_option() {
        let c: OutputsConfig =
            serde_json::from_str(r#"{"file_output": {"enabled": true}}"#).unwrap();
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "file output enabled but no filename in configuration block"
        );
        let c: OutputsConfig = serde_json::from_str(
            r#"{"stdout_output": {"enabled": true}, "grpc_output": {"enabled": true}}"#,
        )
        .unwrap();
        let e = c.validate().unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Unsupported(_)));
        assert!(e.to_string().contains("gRPC output is not supported"));
        // An old falco.yaml with gRPC disabled is fine.
        let c: OutputsConfig = serde_json::from_str(
            r#"{"stdout_output": {"enabled": true}, "grpc_output": {"enabled": false}}"#,
        )
        .unwrap();
        c.validate().unwrap();
    }
}
