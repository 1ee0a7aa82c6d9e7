//! The matgrad command line: parse arguments, call the library, map errors to exit codes.

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;

mod cli;
mod run;

fn main() -> ExitCode {
    // A panic is a bug: its message, then exit 1. The recursive passes grow their own
    // stack where inputs are deep (`matgrad::stack`), so no large thread is needed.
    std::panic::catch_unwind(real_main).unwrap_or_else(|_| {
        eprintln!("error: internal error (please report it)");
        ExitCode::from(1)
    })
}

fn real_main() -> ExitCode {
    let args = match cli::Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // The problem may start with a minus sign (`-y'*log(p)`), so the positional
    // argument accepts leading hyphens; a word after `--` is still a mistyped option.
    if let Some(p) = args.problem.as_deref()
        && p.starts_with("--")
        && p[2..].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        eprintln!("error: unexpected argument '{p}' found\n\nFor more information, try '--help'.");
        return ExitCode::from(2);
    }
    let (source, file) = match read_source(&args) {
        Ok(s) => s,
        Err(e) => {
            eprint!("{}", e.render("", "input"));
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match run::run(&args, &source) {
        Ok(out) => {
            print!("{}", out.stdout);
            if !out.stderr.is_empty() {
                eprint!("{}", out.stderr);
            }
            ExitCode::from(out.code)
        }
        Err(e) => {
            eprint!("{}", e.render(&source, &file));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn read_source(args: &cli::Args) -> matgrad::Result<(String, String)> {
    use matgrad::{Error, ErrorKind};
    if let Some(path) = &args.file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        return Ok((text, path.display().to_string()));
    }
    match args.problem.as_deref() {
        Some("-") => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| {
                Error::new(ErrorKind::Io, format!("cannot read standard input: {e}"))
            })?;
            Ok((s, "stdin".into()))
        }
        Some(p) => Ok((p.to_string(), "input".into())),
        None => Err(Error::new(ErrorKind::Io, "no problem given")),
    }
}
