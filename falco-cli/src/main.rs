//! The `falco` binary: parses the command line and runs Falco's actions
//! ([`app::STEPS`]); the logic lives in the library crates.
#![forbid(unsafe_code)]

mod app;
mod config;
mod describe;
mod drops;
mod flags;
mod log;
mod plugins;
mod reload;
mod rules;
mod run;
mod signals;
mod sources;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let flags = match flags::Flags::try_parse() {
        Ok(f) => f,
        Err(e) => {
            use clap::error::ErrorKind;
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let mut state = app::State { flags, ..app::State::default() };
    match app::run(&mut state) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
