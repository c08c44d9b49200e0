//! Rules files: YAML -> items -> collected definitions -> compiled rules, following Falco's
//! reader -> collector -> compiler.

pub mod collector;
pub mod compiler;
pub mod items;
pub mod reader;
pub mod result;
pub mod yaml;
