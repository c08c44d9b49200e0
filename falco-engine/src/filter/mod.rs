//! Falco's condition language: text -> [`ast::Expr`] -> compiled program.
//!
//! - [`parse`]: the parser (libsinsp's grammar and messages).
//! - [`ast`]: the tree, printable in canonical form.

pub mod ast;
pub mod parse;
