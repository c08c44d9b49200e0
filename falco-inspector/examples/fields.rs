//! Prints the name of every field of the `syscall` schema, one a line (with its type).
//!
//! Usage: `cargo run -p falco-inspector --example fields`

fn main() {
    let s = falco_inspector::fields::schema();
    for f in s.fields() {
        let arg = if f.arg.required { " (arg required)" } else { "" };
        println!("{} {}{arg}", f.name, f.ftype.name());
    }
}
