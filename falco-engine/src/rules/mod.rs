//! Rules files: YAML -> items -> collected definitions -> compiled rules.

pub mod yaml;
pub mod result;
