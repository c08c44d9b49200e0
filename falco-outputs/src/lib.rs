//! Falco's output engine: one thread-safe queue shared by every source thread, one worker
//! that formats alerts and sends them to the configured channels.
#![forbid(unsafe_code)]
#![deny(missing_docs, rustdoc::broken_intra_doc_links)]
