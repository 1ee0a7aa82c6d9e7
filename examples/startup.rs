//! Start-up side by side on a busy machine: `/bin/true`, `matgrad --version` and the
//! trivial problem, and the same two for an older binary if given, run in turn, one
//! run of each after another (so that all see the same load), 1,000 runs each:
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example startup -- target/release/matgrad [older/matgrad] [runs]
//! ```
//!
//! Prints the fastest, median and mean wall time of each, and each one's median
//! above `/bin/true`'s. The README's start-up paragraph quotes it beside hyperfine.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PROBLEM: [&str; 3] = ["A : p x m; X : m x n; B : n x p; tr(A*X*B)", "--wrt", "X"];

/// The wall time of one run (the process must succeed).
fn time(program: &str, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program} does not run: {e}"));
    let took = start.elapsed();
    assert!(status.success(), "{program} {args:?} failed");
    took
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(matgrad) = args.first() else {
        eprintln!("usage: startup path/to/matgrad [path/to/older/matgrad] [runs]");
        std::process::exit(2);
    };
    let runs: usize = args
        .iter()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let older = args.get(1).filter(|a| a.parse::<usize>().is_err());
    let mut cases: Vec<(String, String, Vec<&str>)> = vec![
        ("/bin/true".into(), "/bin/true".into(), vec![]),
        (
            "matgrad --version".into(),
            matgrad.clone(),
            vec!["--version"],
        ),
        (
            "matgrad tr(A*X*B)".into(),
            matgrad.clone(),
            PROBLEM.to_vec(),
        ),
    ];
    if let Some(old) = older {
        cases.push(("older --version".into(), old.clone(), vec!["--version"]));
        cases.push(("older tr(A*X*B)".into(), old.clone(), PROBLEM.to_vec()));
    }
    let mut times = vec![Vec::with_capacity(runs); cases.len()];
    for _ in 0..runs {
        for (case, t) in cases.iter().zip(&mut times) {
            t.push(time(&case.1, &case.2));
        }
    }
    let median = |t: &mut Vec<Duration>| {
        t.sort();
        t[t.len() / 2]
    };
    let empty = median(&mut times[0]);
    println!(
        "{runs} runs each, in turn\nprocess             fastest   median     mean   median above /bin/true"
    );
    for (case, t) in cases.iter().zip(&mut times) {
        let med = median(t);
        let mean = t.iter().sum::<Duration>() / runs as u32;
        println!(
            "{:<18} {:>7.3} ms {:>6.3} ms {:>6.3} ms {:>8.3} ms",
            case.0,
            ms(t[0]),
            ms(med),
            ms(mean),
            ms(med) - ms(empty)
        );
    }
}
