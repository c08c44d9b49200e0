//! `--config-schema` and `--rule-schema`: the JSON schemas of falco.yaml and rules files.

use crate::app::{Flow, State, StepResult};

/// JSON schema of a rules file.
pub const RULE_SCHEMA: &str = r##"{
  "$schema": "http://json-schema.org/draft-06/schema#",
  "$ref": "#/definitions/FalcoRules",
  "definitions": {
    "FalcoRules": { "type": "array", "items": { "$ref": "#/definitions/FalcoRule" } },
    "FalcoRule": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "required_engine_version": { "type": ["string", "integer"] },
        "required_plugin_versions": { "type": "array", "items": { "$ref": "#/definitions/RequiredPluginVersion" } },
        "macro": { "type": "string" },
        "list": { "type": "string" },
        "rule": { "type": "string" },
        "condition": { "type": "string" },
        "output": { "type": "string" },
        "desc": { "type": "string" },
        "priority": { "type": "string", "enum": ["EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO", "INFORMATIONAL", "DEBUG", "emergency", "alert", "critical", "error", "warning", "notice", "info", "informational", "debug", "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Info", "Informational", "Debug"] },
        "source": { "type": "string" },
        "enabled": { "type": "boolean" },
        "tags": { "type": "array", "items": { "type": "string" } },
        "exceptions": { "type": "array", "items": { "$ref": "#/definitions/Exception" } },
        "items": { "type": "array", "items": { "type": ["string", "number"] } },
        "append": { "type": "boolean" },
        "override": { "$ref": "#/definitions/Override" },
        "capture": { "type": "boolean" },
        "capture_duration": { "type": "integer" },
        "warn_evttypes": { "type": "boolean" },
        "skip-if-unknown-filter": { "type": "boolean" }
      }
    },
    "RequiredPluginVersion": {
      "type": "object",
      "required": ["name", "version"],
      "properties": {
        "name": { "type": "string" },
        "version": { "type": "string" },
        "alternatives": { "type": "array", "items": { "type": "object", "required": ["name", "version"], "properties": { "name": { "type": "string" }, "version": { "type": "string" } } } }
      }
    },
    "Exception": {
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": { "type": "string" },
        "fields": { "type": ["string", "array"] },
        "comps": { "type": ["string", "array"] },
        "values": { "type": "array" }
      }
    },
    "Override": {
      "type": "object",
      "additionalProperties": { "type": "string", "enum": ["append", "replace"] }
    }
  }
}"##;

/// JSON schema of falco.yaml (top-level keys and their shapes).
pub const CONFIG_SCHEMA: &str = r##"{
  "$schema": "http://json-schema.org/draft-06/schema#",
  "type": "object",
  "properties": {
    "config_files": { "type": "array" },
    "watch_config_files": { "type": "boolean" },
    "rules_files": { "type": "array", "items": { "type": "string" } },
    "rules": { "type": "array", "items": { "type": "object", "properties": { "enable": { "type": "object" }, "disable": { "type": "object" } } } },
    "engine": { "type": "object", "properties": { "kind": { "type": "string", "enum": ["kmod", "modern_ebpf", "replay", "nodriver"] }, "replay": { "type": "object", "properties": { "capture_file": { "type": "string" } } } } },
    "load_plugins": { "type": "array", "items": { "type": "string" } },
    "plugins": { "type": "array", "items": { "type": "object", "required": ["name", "library_path"], "properties": { "name": { "type": "string" }, "library_path": { "type": "string" }, "init_config": {}, "open_params": { "type": "string" } } } },
    "priority": { "type": "string" },
    "rule_matching": { "type": "string", "enum": ["first", "all"] },
    "json_output": { "type": "boolean" },
    "json_include_output_property": { "type": "boolean" },
    "json_include_message_property": { "type": "boolean" },
    "json_include_output_fields_property": { "type": "boolean" },
    "json_include_tags_property": { "type": "boolean" },
    "time_format_iso_8601": { "type": "boolean" },
    "buffered_outputs": { "type": "boolean" },
    "outputs_queue": { "type": "object", "properties": { "capacity": { "type": "integer" } } },
    "append_output": { "type": "array" },
    "stdout_output": { "type": "object", "properties": { "enabled": { "type": "boolean" } } },
    "syslog_output": { "type": "object", "properties": { "enabled": { "type": "boolean" } } },
    "file_output": { "type": "object", "properties": { "enabled": { "type": "boolean" }, "keep_alive": { "type": "boolean" }, "filename": { "type": "string" } } },
    "program_output": { "type": "object", "properties": { "enabled": { "type": "boolean" }, "keep_alive": { "type": "boolean" }, "program": { "type": "string" } } },
    "http_output": { "type": "object", "properties": { "enabled": { "type": "boolean" }, "url": { "type": "string" }, "user_agent": { "type": "string" } } },
    "log_stderr": { "type": "boolean" },
    "log_syslog": { "type": "boolean" },
    "log_level": { "type": "string" },
    "output_timeout": { "type": "integer" }
  }
}"##;

/// Prints a schema and exits.
pub fn print_schemas(s: &mut State) -> StepResult {
    if s.flags.config_schema {
        println!("{CONFIG_SCHEMA}");
        return Ok(Flow::Exit);
    }
    if s.flags.rule_schema {
        println!("{RULE_SCHEMA}");
        return Ok(Flow::Exit);
    }
    Ok(Flow::Continue)
}

#[cfg(test)]
mod tests {
    #[test]
    fn schemas_are_json() {
        for s in [super::RULE_SCHEMA, super::CONFIG_SCHEMA] {
            serde_json::from_str::<serde_json::Value>(s).unwrap();
        }
    }
}
