//! `--claim` on the command line: verdicts, diagnoses and errors, snapshot-tested
//! (insta); exit 0 correct, 1 wrong, 2 malformed claim.

use std::process::{Command, Stdio};

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_matgrad"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("matgrad runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    format!(
        "exit {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
        out.status.code().unwrap_or(-1)
    )
}

const AUTOENCODER: &str = "0.5*norm2(W'*W*x - x)";
const GPLVM: &str = "X : N x q; Y : N x p; alpha, beta, D : scalar; K = alpha*X*X' + I/beta; -D/2*logdet(K) - 0.5*tr(inv(K)*Y*Y')";
const GPLVM_LOGDET: &str =
    "X : N x q; alpha, beta, D : scalar; K = alpha*X*X' + I/beta; -D/2*logdet(K)";
const LSQ: &str = "A : m x n; x : n; b : m; norm2(A*x - b)";
const TWO_LAYER: &str = "W1 : h x d; b1 : h; W2 : c x h; b2 : c; x : d; y : c; z1 = W1*x + b1; h1 = swish(z1); z2 = W2*h1 + b2; logsumexp(z2) - y'*z2";

fn check(name: &str, problem: &str, wrt: &[&str], claim: &str, json: bool) {
    let mut args = vec![problem];
    for w in wrt {
        args.extend(["--wrt", w]);
    }
    args.extend(["--claim", claim]);
    if json {
        args.extend(["--format", "json"]);
    }
    insta::assert_snapshot!(name, run(&args));
}

#[test]
fn verdicts() {
    let cases: &[(&str, &str, &[&str], &str)] = &[
        (
            "claim-autoencoder-right",
            AUTOENCODER,
            &["W"],
            "K = W'*W*x - x; W*x*K' + W*K*x'",
        ),
        (
            "claim-autoencoder-one-path",
            AUTOENCODER,
            &["W"],
            "K = W'*W*x - x; W*x*K'",
        ),
        (
            "claim-gplvm-logdet-only",
            GPLVM,
            &["X"],
            "-alpha*D*inv(K)'*X",
        ),
        (
            "claim-gplvm-right",
            GPLVM,
            &["X"],
            "alpha*inv(K)*Y*Y'*inv(K)*X - alpha*D*inv(K)*X",
        ),
        (
            "claim-gplvm-sign",
            GPLVM,
            &["X"],
            "alpha*inv(K)*Y*Y'*inv(K)*X + alpha*D*inv(K)*X",
        ),
        (
            "claim-gplvm-several",
            GPLVM,
            &["X", "alpha"],
            "dX = alpha*inv(K)*Y*Y'*inv(K)*X - alpha*D*inv(K)*X",
        ),
        (
            "claim-gplvm-half",
            GPLVM_LOGDET,
            &["X"],
            "-alpha*D/2*inv(K)*X",
        ),
        (
            "claim-gplvm-alpha",
            GPLVM_LOGDET,
            &["X"],
            "M = inv(K); -D*M*X",
        ),
        ("claim-lsq-factor", LSQ, &["x"], "A'*(A*x - b)"),
        ("claim-lsq-shape", LSQ, &["x"], "(A*x - b)'*A"),
        (
            "claim-symmetric-only",
            "A : n x n; x : n; x'*A*x",
            &["x"],
            "2*A*x",
        ),
        ("claim-transpose", "logdet(X)", &["X"], "inv(X)"),
        (
            "claim-elementwise",
            "x, y : n; 0.5*norm2(x .* y)",
            &["x"],
            "(y*y')*x",
        ),
        (
            "claim-numerically",
            TWO_LAYER,
            &["b1"],
            "(h1 + sigmoid(z1) .* (1 - h1)) .* (W2'*(softmax(z2) - y))",
        ),
        (
            "claim-transpose-missing",
            "A : m x n; x : n; y : m; y'*A*x",
            &["A"],
            "A'",
        ),
        (
            "claim-fits-only-if",
            AUTOENCODER,
            &["W"],
            "K = W'*W*x - x; x*K'*W' + W*K*x'",
        ),
    ];
    for (name, problem, wrt, claim) in cases {
        check(name, problem, wrt, claim, false);
    }
}

#[test]
fn json() {
    check(
        "claim-json-wrong",
        "x, y : n; 0.5*norm2(x .* y)",
        &["x"],
        "(y*y')*x",
        true,
    );
    check(
        "claim-json-right",
        AUTOENCODER,
        &["W"],
        "K = W'*W*x - x; W*x*K' + W*K*x'",
        true,
    );
    check(
        "claim-json-missing",
        GPLVM,
        &["X"],
        "-alpha*D*inv(K)*X",
        true,
    );
}

#[test]
fn malformed_claims() {
    let cases: &[(&str, &str, &[&str], &str)] = &[
        (
            "claim-err-unknown-name",
            AUTOENCODER,
            &["W"],
            "W*x*K' + W*K*x'",
        ),
        (
            "claim-err-syntax",
            AUTOENCODER,
            &["W"],
            "W*x*(W'*W*x - x' + W",
        ),
        (
            "claim-err-shape",
            "W : m x n; x : n; 0.5*norm2(W'*W*x - x)",
            &["W"],
            "K = W'*W*x - x; x*K'*W' + W*K*x'",
        ),
        (
            "claim-err-several",
            GPLVM,
            &["X", "alpha"],
            "alpha*inv(K)*Y*Y'*inv(K)*X",
        ),
        (
            "claim-err-other-variable",
            GPLVM,
            &["X"],
            "dalpha = 0.5*tr(X*X')",
        ),
        (
            "claim-err-declaration",
            AUTOENCODER,
            &["W"],
            "Q : m x n; W*Q",
        ),
        ("claim-err-redefined", GPLVM, &["X"], "K = X*X'; K*X"),
        ("claim-err-empty", AUTOENCODER, &["W"], "  "),
    ];
    for (name, problem, wrt, claim) in cases {
        check(name, problem, wrt, claim, false);
    }
    insta::assert_snapshot!("claim-err-no-wrt", run(&[AUTOENCODER, "--claim", "W"]));
}
