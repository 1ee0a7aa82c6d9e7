//! The matgrad command line: parse arguments, call the library, map errors to exit codes.

#![cfg_attr(all(unix, not(test)), no_main)]

use std::io::{Read, Write};

mod cli;
mod run;

/// Small blocks from a quicker allocator than glibc's ([`matgrad::alloc`]).
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

/// The process's entry point, C's `main`: matgrad starts without Rust's own start-up
/// code, whose stack-overflow handler asks glibc for the main thread's stack, which
/// glibc finds by reading `/proc/self/maps` (with the handler's alternate signal
/// stack, 18 of the 42 system calls the process made). What that start-up does
/// that matgrad needs is done here: SIGPIPE is ignored, so that a closed pipe is a
/// write error ([`emit`]), and `process::exit` flushes. The recursive passes grow
/// their stack before it runs out (`matgrad::stack`, pest's guard); were one to
/// overflow it anyway, [`on_overflow`] reports it as an internal error.
#[cfg(all(unix, not(test)))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // SAFETY: sets a signal's disposition to "ignore", before any other thread runs.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    on_overflow();
    std::process::exit(i32::from(guarded_main()))
}

/// A stack overflow, the one way safe code meets SIGSEGV or SIGBUS, ends the process
/// as other internal errors do: a message, exit status 1. The handler runs on a
/// stack of its own in `.bss` (untouched unless it runs): three system calls.
#[cfg(all(unix, not(test)))]
fn on_overflow() {
    const SIZE: usize = 64 * 1024;
    static mut STACK: [u8; SIZE] = [0; SIZE];
    extern "C" fn handler(_: std::ffi::c_int) {
        const MESSAGE: &[u8] = b"error: internal error: the stack overflowed (please report it)\n";
        // SAFETY: write and _exit are async-signal-safe.
        unsafe {
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(1);
        }
    }
    // SAFETY: the alternate stack is a static that nothing else uses; the handler
    // only calls async-signal-safe functions.
    unsafe {
        let stack = libc::stack_t {
            ss_sp: (&raw mut STACK).cast(),
            ss_flags: 0,
            ss_size: SIZE,
        };
        libc::sigaltstack(&stack, std::ptr::null_mut());
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as extern "C" fn(std::ffi::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_ONSTACK;
        libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

#[cfg(not(all(unix, not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(guarded_main())
}

/// A panic is a bug: its message, then exit 1. The recursive passes grow their own
/// stack where inputs are deep (`matgrad::stack`), so no large thread is needed.
fn guarded_main() -> u8 {
    std::panic::catch_unwind(real_main).unwrap_or_else(|_| {
        to_stderr("error: internal error (please report it)\n");
        1
    })
}

/// Writes to standard error; a failure to is ignored (there is nowhere to report it).
fn to_stderr(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Prints a run's output; exit status 1 when standard output cannot take it (a
/// full disk: a message; a closed pipe, e.g. `| head -1`: quietly), else `code`.
fn emit(stdout: &str, stderr: &str, code: u8) -> u8 {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(stdout.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            to_stderr(&format!("error: cannot write the output: {e}\n"));
        }
        return 1;
    }
    to_stderr(stderr);
    code
}

fn real_main() -> u8 {
    let args = match cli::Args::from_env() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // The problem may start with a minus sign (`-y'*log(p)`), so the positional
    // argument accepts leading hyphens; a word after `--` is still a mistyped option.
    if let Some(p) = args.problem.as_deref()
        && p.starts_with("--")
        && p[2..].starts_with(|c: char| c.is_ascii_alphabetic())
    {
        to_stderr(&format!(
            "error: unexpected argument '{p}' found\n\nFor more information, try '--help'.\n"
        ));
        return 2;
    }
    let (source, file) = match read_source(&args) {
        Ok(s) => s,
        Err(e) => {
            to_stderr(&e.render("", "input"));
            return e.exit_code() as u8;
        }
    };
    match run::run(&args, &source) {
        Ok(out) => emit(&out.stdout, &out.stderr, out.code),
        Err(e) => {
            to_stderr(&e.render(&source, &file));
            e.exit_code() as u8
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
