//! Load Falco plugins (plugin API 3.x) and use them as event sources, field extractors and
//! event parsers, behind a safe API.
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
