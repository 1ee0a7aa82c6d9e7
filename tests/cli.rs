//! The command line: outputs and error messages, snapshot-tested (insta).

mod common;

use common::cli::{run, temp};

#[test]
fn language_examples() {
    let cases: &[(&str, &[&str])] = &[
        ("autoencoder", &["0.5*norm2(W'*W*x - x)", "--wrt", "W"]),
        ("quadratic", &["x'*A*x", "--wrt", "x"]),
        ("logdet", &["logdet(X)", "--wrt", "X"]),
        ("nls", &["0.25*norm2(y - (A*x).^2)", "--wrt", "x"]),
        ("log1p", &["x : n; sum(log1p(x .* x))", "--wrt", "x"]),
        (
            "log1p-latex",
            &[
                "x : n; sum(log1p(x .* x))",
                "--wrt",
                "x",
                "--format",
                "latex",
            ],
        ),
        (
            "scalars",
            &[
                "x1, x2, x3 : scalar; (x1*x2*sin(x3) + exp(x1*x2))/x3",
                "--wrt",
                "x1",
                "--wrt",
                "x2",
                "--wrt",
                "x3",
            ],
        ),
        (
            "gplvm-latex",
            &[
                "X : N x q\nalpha, beta, D : scalar\nK = alpha*X*X' + I/beta\n-D/2*logdet(K)",
                "--wrt",
                "X",
                "--format",
                "latex",
            ],
        ),
        (
            "gplvm-joint",
            &[
                "X : N x q; Y : N x p; alpha, beta, D : scalar; K = alpha*X*X' + I/beta; -D/2*logdet(K) - 0.5*tr(inv(K)*Y*Y')",
                "--wrt",
                "X",
                "--wrt",
                "alpha",
                "--wrt",
                "beta",
            ],
        ),
        (
            "gplvm-joint-latex",
            &[
                "X : N x q; Y : N x p; alpha, beta, D : scalar; K = alpha*X*X' + I/beta; -D/2*logdet(K) - 0.5*tr(inv(K)*Y*Y')",
                "--wrt",
                "alpha",
                "--format",
                "latex",
            ],
        ),
        (
            "logistic-regression",
            &[
                "w : d; X : N x d; y : N; sum(log(1 + exp(-y .* (X*w))))",
                "--wrt",
                "w",
            ],
        ),
        (
            "cancelling-terms",
            &[
                "W : m x n; x : n; y : m; norm2(W*x - y) - norm2(W*x)",
                "--wrt",
                "x",
            ],
        ),
        (
            "autoencoder-ascii",
            &["0.5*norm2(W'*W*x - x)", "--wrt", "W", "--format", "ascii"],
        ),
        ("no-wrt-prints-problem", &["x'*A*x"]),
        (
            "hessian",
            &[
                "A : m x n; x : n; y : m; 0.25*norm2(y - (A*x).^2)",
                "--wrt",
                "x",
                "--hessian",
            ],
        ),
        ("hessian-matrix", &["sum(W*x)", "--wrt", "W", "--hessian"]),
        (
            "flops",
            &[
                "W : m x n; x : n; 0.5*norm2(W'*W*x - x)",
                "--wrt",
                "W",
                "--cost",
                "flops",
                "--dims",
                "m=100,n=50",
            ],
        ),
    ];
    for (name, args) in cases {
        insta::assert_snapshot!(*name, run(args, None));
    }
}

#[test]
fn input_from_file_and_stdin() {
    let f = temp("p.mg", "A : n x n\nx : n\nx'*A*x\n");
    insta::assert_snapshot!("file", run(&["-f", &f, "--wrt", "x"], None));
    insta::assert_snapshot!("stdin", run(&["-", "--wrt", "x"], Some("x'*A*x")));
}

#[test]
fn json_at_a_point() {
    let f = temp(
        "s.mg",
        "x1, x2, x3 : scalar\n(x1*x2*sin(x3) + exp(x1*x2))/x3\n",
    );
    let p = temp("s.json", r#"{"x1": 1, "x2": 1.5, "x3": 2}"#);
    let out = run(
        &["-f", &f, "--wrt", "x2", "--at", &p, "--format", "json"],
        None,
    );
    let json: serde_json::Value = serde_json::from_str(
        out.split("--- stdout\n")
            .nth(1)
            .unwrap()
            .split("--- stderr")
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(
        (json["value"].as_f64().unwrap() - 2.9228).abs() < 1e-4,
        "{json}"
    );
    assert!(
        (json["gradient"]["x2"].as_f64().unwrap() - 2.6955).abs() < 1e-4,
        "{json}"
    );
    insta::assert_snapshot!("json-scalars", out);
    let h = run(
        &[
            "-f",
            &f,
            "--wrt",
            "x2",
            "--at",
            &p,
            "--format",
            "json",
            "--hessian",
        ],
        None,
    );
    insta::assert_snapshot!("json-hessian", h);
    let f = temp(
        "g.mg",
        "X : N x q\nY : N x p\nalpha, beta : scalar\nK = alpha*X*X' + I/beta\n-0.5*tr(inv(K)*Y*Y')\n",
    );
    let p = temp(
        "g.json",
        r#"{"X": [[1, 0], [0, 1], [1, 1]], "Y": [[1], [2], [0.5]], "alpha": 0.5, "beta": 2}"#,
    );
    insta::assert_snapshot!(
        "json-gplvm",
        run(
            &["-f", &f, "--wrt", "X", "--at", &p, "--format", "json"],
            None
        )
    );
}

#[test]
fn errors_point_at_the_input() {
    let seed =
        "x, y : 2\nW1 : 2 x 3\nW2 : 3 x 3\nW3 : 3 x 2\n0.5*norm2(y - W3*relu(W2*relu(W1*x)))\n";
    insta::assert_snapshot!("err-stated-dims", run(&["-", "--wrt", "W1"], Some(seed)));
    let cases: &[(&str, Vec<&str>)] = &[
        ("err-syntax", vec!["x'*A*(x + ", "--wrt", "x"]),
        (
            "err-unclosed",
            vec!["x : n; A : n x n; sum(A*(x + x)", "--wrt", "x"],
        ),
        ("err-unknown-function", vec!["trace(A)", "--wrt", "A"]),
        ("err-arity", vec!["tr(A, B)", "--wrt", "A"]),
        ("err-nonscalar", vec!["A : m x n; x : n; A*x", "--wrt", "x"]),
        (
            "err-add-shapes",
            vec!["A : 2 x 3; B : 3 x 2; tr(A + B)", "--wrt", "A"],
        ),
        ("err-pow-vector", vec!["x : n; sum(x^2)", "--wrt", "x"]),
        ("err-not-square", vec!["A : m x n; logdet(A)", "--wrt", "A"]),
        (
            "err-matrix-power-exponent",
            vec!["X : n x n; tr(X^k)", "--wrt", "X"],
        ),
        ("err-wrt-missing", vec!["x'*A*x", "--wrt", "z"]),
        ("err-bad-number", vec!["1e999*x'*x", "--wrt", "x"]),
        (
            "err-dimension-as-value",
            vec!["x : n; n*sum(x)", "--wrt", "x"],
        ),
    ];
    for (name, args) in cases {
        insta::assert_snapshot!(*name, run(args, None));
    }
}

#[test]
fn bad_points_are_input_errors() {
    let f = temp("q.mg", "A : n x n\nx : n\nx'*A*x\n");
    let bad = temp("bad.json", r#"{"A": [[1, 2], [3, 4]], "x": [1, 2, 3]}"#);
    insta::assert_snapshot!(
        "err-point-shape",
        run(
            &["-f", &f, "--wrt", "x", "--at", &bad, "--format", "json"],
            None
        )
    );
    let missing = temp("missing.json", r#"{"A": [[1, 2], [3, 4]]}"#);
    insta::assert_snapshot!(
        "err-point-missing",
        run(&["-f", &f, "--wrt", "x", "--at", &missing], None)
    );
    let junk = temp("junk.json", "{not json");
    insta::assert_snapshot!(
        "err-point-json",
        run(&["-f", &f, "--wrt", "x", "--at", &junk], None)
    );
}

#[test]
fn values_that_do_not_exist_point_at_what_the_user_wrote() {
    let zero = temp("zero.json", r#"{"x": [0, 0, 0], "alpha": 0}"#);
    let cases: &[(&str, &[&str])] = &[
        ("err-at-derivative", &["x : 3; norm(x)", "--wrt", "x"]),
        (
            "err-at-derivative-hessian",
            &[
                "x : 3; norm(x)",
                "--wrt",
                "x",
                "--hessian",
                "--format",
                "json",
            ],
        ),
        (
            "err-at-value",
            &["x : 3; x'*x/alpha + norm2(x)", "--wrt", "x"],
        ),
    ];
    for (name, args) in cases {
        let mut args = args.to_vec();
        args.extend(["--at", &zero]);
        insta::assert_snapshot!(*name, run(&args, None));
    }
}

#[test]
fn check_flag_reports_agreement() {
    let out = run(
        &[
            "X : N x q; Y : N x p; alpha, beta : scalar; K = alpha*X*X' + I/beta; -0.5*tr(inv(K)*Y*Y')",
            "--wrt",
            "X",
            "--check",
        ],
        None,
    );
    assert!(out.starts_with("exit 0"), "{out}");
    assert!(out.contains("check ∂/∂X: ok"), "{out}");
}

#[test]
fn show_the_work() {
    let f004 = "x1, x2, x3 : scalar; (x1*x2*sin(x3) + exp(x1*x2))/x3";
    let at = temp("p004.json", r#"{"x1": 1, "x2": 1.5, "x3": 2}"#);
    let ae = "W : m x n; x : n; 0.5*norm2(W'*W*x - x)";
    let cases: &[(&str, &[&str])] = &[
        ("show-graph-no-wrt", &["x'*A*x", "--graph", "text"]),
        (
            "show-graph-ascii",
            &[ae, "--wrt", "W", "--graph", "text", "--format", "ascii"],
        ),
        (
            "show-steps-ascii",
            &[ae, "--wrt", "W", "--steps", "--format", "ascii"],
        ),
        (
            "show-steps-at",
            &[f004, "--wrt", "x2", "--steps", "--at", &at],
        ),
        (
            "show-trace-forward",
            &[f004, "--trace", "forward", "--at", &at, "--seed", "x2"],
        ),
        (
            "show-trace-reverse-latex",
            &[f004, "--trace", "reverse", "--at", &at, "--format", "latex"],
        ),
        (
            "show-steps-json",
            &[
                f004, "--wrt", "x2", "--steps", "--at", &at, "--format", "json",
            ],
        ),
        ("show-err-steps-without-wrt", &["x'*A*x", "--steps"]),
        (
            "show-err-trace-without-at",
            &["x'*A*x", "--trace", "reverse"],
        ),
        (
            "show-err-bad-seed",
            &[f004, "--trace", "forward", "--at", &at, "--seed", "y"],
        ),
        (
            "show-err-bad-mode",
            &[f004, "--trace", "sideways", "--at", &at],
        ),
    ];
    for (name, args) in cases {
        let out = run(args, None).replace(&at, "P.json");
        insta::assert_snapshot!(*name, out);
    }
}

/// Output that cannot be written is an error with exit status 1, never a panic: a
/// full device names the cause; a pipe whose reader has gone (`| head -1`) ends quietly.
#[test]
fn unwritable_output_is_an_error() {
    use std::process::{Command, Stdio};
    let matgrad = env!("CARGO_BIN_EXE_matgrad");
    let args = ["x'*A*x", "--wrt", "x"];
    let mut cases: Vec<(&str, Stdio, &str)> = Vec::new();
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        cases.push((
            "full device",
            full.into(),
            "error: cannot write the output: No space left on device (os error 28)\n",
        ));
    }
    // A pipe whose reading end is closed before matgrad writes.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    cases.push(("closed pipe", writer.into(), ""));
    for (name, stdout, stderr) in cases {
        let out = Command::new(matgrad)
            .args(args)
            .stdout(stdout)
            .stderr(Stdio::piped())
            .output()
            .expect("matgrad runs");
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), stderr, "{name}");
    }
}
