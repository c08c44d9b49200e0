//! Falco's condition language: text -> [`ast::Expr`] -> compiled [`program::Program`].
//!
//! - [`parse`]: the parser (libsinsp's grammar and messages).
//! - [`ast`]: the tree, printable in canonical form.
//! - [`macros`]: macro expansion with loop detection and a depth bound.
//! - [`warnings`], [`evttypes`]: analyses of expanded conditions.
//! - [`compile`]: resolution against a source's schema into a typed program.
//! - [`program`]: evaluation with lazy, cached extraction.
//! - [`ops`]: globs, path prefixes, number parsing.

pub mod ast;
pub mod compile;
pub mod evttypes;
pub mod macros;
pub mod ops;
pub mod parse;
pub mod program;
pub mod warnings;
