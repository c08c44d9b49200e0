//! The `falco` binary.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("falco-rs: not implemented yet");
    std::process::exit(1);
}
