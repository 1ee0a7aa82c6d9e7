//! Jacobians (`--jacobian`, `--vjp`, `matgrad::jacobian`): the printed forms
//! (snapshots), every Jacobian against finite differences and its unsimplified form,
//! the scalar case against the gradient, the Hessian against the Jacobian of the
//! gradient, and the VJP against Jᵀu.

mod common;

use common::cli::{run, temp};
use std::process::Command;

use egg::Symbol;
use matgrad::jacobian::{Form, finite_difference};
use matgrad::ops::Value;

const LINEAR: &str = "A : m x n; x : n; A*x";
const SQUARE: &str = "x : n; x .* x";
const SOFTMAX: &str = "z : n; softmax(z)";
const TANH_LAYER: &str = "W : m x n; x : n; W*tanh(x)";
const SOLVE: &str = "A : n x n; b : n; inv(A)*b";
const SIGMOID_LAYER: &str = "W : m x n; x : n; sigmoid(W*x)";
const MATRIX_SQUARE: &str = "X : n x n; X*X";
const MATRIX_INVERSE: &str = "X : n x n; inv(X)";

#[test]
fn printed_forms() {
    let cases: &[(&str, &[&str])] = &[
        ("linear", &[LINEAR, "--wrt", "x", "--jacobian"]),
        ("square", &[SQUARE, "--wrt", "x", "--jacobian"]),
        ("softmax", &[SOFTMAX, "--wrt", "z", "--jacobian"]),
        ("tanh-layer", &[TANH_LAYER, "--wrt", "x", "--jacobian"]),
        ("solve", &[SOLVE, "--wrt", "b", "--jacobian"]),
        (
            "sigmoid-layer",
            &[SIGMOID_LAYER, "--wrt", "x", "--jacobian"],
        ),
        (
            "matrix-square",
            &[MATRIX_SQUARE, "--wrt", "X", "--jacobian"],
        ),
        (
            "matrix-inverse",
            &[MATRIX_INVERSE, "--wrt", "X", "--jacobian"],
        ),
        (
            "scalar-objective",
            &["A : n x n; x : n; x'*A*x", "--wrt", "x", "--jacobian"],
        ),
        (
            "scalar-variable",
            &[
                "alpha : scalar; a : n; B : n x n; exp(alpha)*a + alpha*B*a",
                "--wrt",
                "alpha",
                "--jacobian",
            ],
        ),
        (
            "row-objective",
            &["x : 1 x n; A : n x m; x*A", "--wrt", "x", "--jacobian"],
        ),
        (
            "outer-product",
            &["x : n; y : n; (x*x')*y", "--wrt", "x", "--jacobian"],
        ),
        (
            "several-variables",
            &[
                "W : m x n; b : m; x : n; tanh(W*x + b)",
                "--wrt",
                "x",
                "--wrt",
                "b",
                "--wrt",
                "W",
                "--jacobian",
            ],
        ),
        (
            "user-names",
            &[
                "W1 : h x n; W2 : m x h; x : n; z = W1*x; a = tanh(z); W2*a",
                "--wrt",
                "x",
                "--jacobian",
            ],
        ),
        (
            "ascii",
            &[
                SIGMOID_LAYER,
                "--wrt",
                "x",
                "--jacobian",
                "--format",
                "ascii",
            ],
        ),
        (
            "latex",
            &[
                MATRIX_SQUARE,
                "--wrt",
                "X",
                "--jacobian",
                "--format",
                "latex",
            ],
        ),
        (
            "check",
            &[SIGMOID_LAYER, "--wrt", "x", "--jacobian", "--check"],
        ),
        ("vjp", &[SIGMOID_LAYER, "--wrt", "x", "--vjp", "u"]),
        (
            "vjp-matrix",
            &[MATRIX_SQUARE, "--wrt", "X", "--vjp", "U", "--check"],
        ),
        (
            "vjp-ascii",
            &[TANH_LAYER, "--wrt", "x", "--vjp", "u", "--format", "ascii"],
        ),
        (
            "err-vjp-used",
            &["x : n; u : n; u .* x", "--wrt", "x", "--vjp", "u"],
        ),
        (
            "err-vjp-shape",
            &["u : m; A : n x n; x : n; A*x", "--wrt", "x", "--vjp", "u"],
        ),
        (
            "err-jacobian-hessian",
            &[LINEAR, "--wrt", "x", "--jacobian", "--hessian"],
        ),
        ("err-wrt-missing", &[LINEAR, "--wrt", "y", "--jacobian"]),
        ("err-vjp-not-a-name", &[LINEAR, "--wrt", "x", "--vjp", "2u"]),
        (
            "err-vjp-defined",
            &["A : m x n; x : n; K = A*x; K", "--wrt", "x", "--vjp", "K"],
        ),
        ("raw", &[SIGMOID_LAYER, "--wrt", "x", "--jacobian", "--raw"]),
        ("no-wrt-prints-problem", &[LINEAR, "--jacobian"]),
    ];
    for (name, args) in cases {
        insta::assert_snapshot!(*name, run(args, None));
    }
}

#[test]
fn json_at_a_point() {
    let p = temp(
        "linear.json",
        r#"{"A": [[1, 2], [3, 4], [5, 6]], "x": [1, -1]}"#,
    );
    insta::assert_snapshot!(
        "json-linear",
        run(
            &[
                LINEAR,
                "--wrt",
                "x",
                "--jacobian",
                "--at",
                &p,
                "--format",
                "json"
            ],
            None
        )
    );
    // Column-major vec order: J[(j·n + i), (l·n + k)] = ∂(XX)ᵢⱼ/∂Xₖₗ.
    let p = temp("square.json", r#"{"X": [[1, 2], [3, 4]]}"#);
    insta::assert_snapshot!(
        "json-matrix-square",
        run(
            &[
                MATRIX_SQUARE,
                "--wrt",
                "X",
                "--jacobian",
                "--at",
                &p,
                "--format",
                "json"
            ],
            None
        )
    );
    let p = temp(
        "sigmoid.json",
        r#"{"W": [[1, 0], [0, 2]], "x": [0.5, -0.5], "u": [1, 2]}"#,
    );
    insta::assert_snapshot!(
        "json-vjp",
        run(
            &[
                SIGMOID_LAYER,
                "--wrt",
                "x",
                "--vjp",
                "u",
                "--at",
                &p,
                "--format",
                "json"
            ],
            None
        )
    );
    insta::assert_snapshot!(
        "text-at-a-point",
        run(
            &[SIGMOID_LAYER, "--wrt", "x", "--jacobian", "--at", &p],
            None
        )
    );
    insta::assert_snapshot!(
        "json-no-point",
        run(
            &[SOFTMAX, "--wrt", "z", "--jacobian", "--format", "json"],
            None
        )
    );
}

/// The JSON Jacobian against numbers worked out by hand.
#[test]
fn json_numbers() {
    let p = temp("square2.json", r#"{"X": [[1, 2], [3, 4]]}"#);
    let out = Command::new(env!("CARGO_BIN_EXE_matgrad"))
        .args([
            MATRIX_SQUARE,
            "--wrt",
            "X",
            "--jacobian",
            "--at",
            &p,
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let x = [[1.0, 2.0], [3.0, 4.0]];
    // ∂(XX)ᵢⱼ/∂Xₖₗ = δᵢₖ Xₗⱼ + Xᵢₖ δⱼₗ
    let d = |a: usize, b: usize| if a == b { 1.0 } else { 0.0 };
    for (i, j, k, l) in (0..16).map(|c| (c % 2, (c / 2) % 2, (c / 4) % 2, c / 8)) {
        let want = d(i, k) * x[l][j] + x[i][k] * d(j, l);
        let got = v["jacobian"]["X"][j * 2 + i][l * 2 + k]
            .as_f64()
            .expect("number");
        assert_eq!(got, want, "entry {i}{j},{k}{l}");
    }
    assert_eq!(v["value"], serde_json::json!([[7.0, 10.0], [15.0, 22.0]]));
    assert_eq!(v["directions"]["X"], "dX");
}

/// Problems, variables and the form expected for each variable (true: a matrix).
const CASES: &[(&str, &[&str], &[bool])] = &[
    (LINEAR, &["x"], &[true]),
    (SQUARE, &["x"], &[true]),
    (SOFTMAX, &["z"], &[true]),
    (TANH_LAYER, &["x"], &[true]),
    (SOLVE, &["b", "A"], &[true, false]),
    (SIGMOID_LAYER, &["x", "W"], &[true, false]),
    (MATRIX_SQUARE, &["X"], &[false]),
    (MATRIX_INVERSE, &["X"], &[false]),
    ("A : n x n; x : n; x'*A*x", &["x", "A"], &[true, false]),
    ("x : 1 x n; A : n x m; x*A", &["x", "A"], &[true, false]),
    (
        "alpha : scalar; a : n; B : n x n; exp(alpha)*a + alpha*B*a",
        &["alpha", "a", "B"],
        &[true, true, false],
    ),
    ("x : n; y : n; (x*x')*y", &["x", "y"], &[true, true]),
    (
        "x : n; B : n x n; (x*x' .* B)*x",
        &["x", "B"],
        &[true, false],
    ),
    ("x : n; B : n x n; ((x*x') .* B)'*x", &["x"], &[true]),
    ("x : n; sum(x)*x", &["x"], &[true]),
    ("x : n; diag(x)*diag(x)*x", &["x"], &[true]),
    ("x : n; norm2(x)*exp(x)", &["x"], &[true]),
    ("x : n; tr(x*x')*x", &["x"], &[true]),
    ("x : n; diag(x*x')", &["x"], &[true]),
    (
        "x : n; B : n x n; diag(x)*B*diag(x)*x",
        &["x", "B"],
        &[true, false],
    ),
    ("x : n; log(x) ./ x", &["x"], &[true]),
    (
        "x : n; A : n x n; inv(A + x*x')*x",
        &["x", "A"],
        &[true, false],
    ),
    (
        "x : n; C : n x m; (C'*x) ./ (1 + norm2(x))",
        &["x", "C"],
        &[true, false],
    ),
    (
        "x : n; s : scalar; softplus(s*x) - swish(x)/s",
        &["x", "s"],
        &[true, true],
    ),
    (
        "x : n; y : n; relu(x) .* y + abs(y) .* sin(x)",
        &["x", "y"],
        &[true, true],
    ),
    (
        "x : n; A : n x n; sum(A*diag(x))*x + logsumexp(x)*x",
        &["x"],
        &[true],
    ),
    ("x : n; A : n x n; diag(tr(A*x*x')*A)", &["x"], &[true]),
    (
        "x : n; A : n x n; (A .* (x*x'))*x + (x*x')'*(A*x)",
        &["x"],
        &[true],
    ),
    ("x : n; A : n x m; sum(x*x'*A)", &["x"], &[true]),
    (
        "x : n; A : n x n; B : n x n; C : n x n; y : n; ((A*diag(x)*B) .* C)*y",
        &["x"],
        &[false],
    ),
    (
        "X : n x n; S : spd n x n; logdet(S + X*X')*X",
        &["X"],
        &[false],
    ),
    ("X : m x n; tr(X'*X)", &["X"], &[false]),
    (
        "s : scalar; t : scalar; sin(s*t)",
        &["s", "t"],
        &[true, true],
    ),
    ("x : n; A : n x n; x'*A", &["x", "A"], &[true, false]),
    ("x : n; softmax(x) .* x", &["x"], &[true]),
    (
        "x : n; v : n; x ./ v + v ./ (1 + x.^2)",
        &["x", "v"],
        &[true, true],
    ),
];

/// Every Jacobian agrees with central differences and with its unsimplified form.
#[test]
fn jacobians_equal_finite_differences() {
    for (i, (src, wrt, matrix)) in CASES.iter().enumerate() {
        let j = matgrad::jacobian(src, wrt).unwrap_or_else(|e| panic!("{src}: {e}"));
        let forms: Vec<bool> = j.forms.iter().map(|f| *f == Form::Matrix).collect();
        assert_eq!(&forms, matrix, "{src}: forms {:?}", j.forms);
        assert!(
            j.derivation.validation.fallback.is_none(),
            "{src}: {:?}",
            j.derivation.validation
        );
        let r = matgrad::jacobian::check(&j, 4, 100 + i as u64)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(
            r.ok,
            "{src}\n{}\n{}",
            matgrad::jacobian::print(&j, matgrad::Notation::Ascii),
            r.text
        );
        assert!(r.worst_fd < 1e-6, "{src}: {}", r.text);
    }
}

/// The case the read-off cannot write as a matrix says so and gives the directional form.
#[test]
fn directional_when_no_matrix_form() {
    let src = "x : n; A : n x n; B : n x n; C : n x n; y : n; ((A*diag(x)*B) .* C)*y";
    let j = matgrad::jacobian(src, &["x"]).expect("derives");
    assert_eq!(j.forms, vec![Form::Directional("dx".into())]);
    assert_eq!(j.notes.len(), 1, "{:?}", j.notes);
    assert!(
        j.notes[0].contains("directional form in `dx`"),
        "{:?}",
        j.notes
    );
}

/// For a scalar objective the Jacobian is the gradient as a row (vec order for matrices).
#[test]
fn scalar_objective_gives_the_gradient_transposed() {
    for (k, pr) in common::seeds().iter().enumerate() {
        let (name, input, wrt) = common::case(pr);
        let (g, j) = match (
            matgrad::gradient(input, &wrt),
            matgrad::jacobian(input, &wrt),
        ) {
            (Ok(g), Ok(j)) => (g, j),
            // A problem that is wrong as stated is refused either way.
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{name}");
                continue;
            }
            (g, j) => panic!("{name}: {:?} vs {:?}", g.err(), j.err()),
        };
        let p = common::point(&g.model, 7 + k as u64);
        let (grads, jacs) = (
            g.evaluate(&p).expect("gradient"),
            j.evaluate(&p).expect("jacobian"),
        );
        for (v, (gv, jv)) in wrt.iter().zip(grads.iter().zip(&jacs)) {
            assert_eq!(jv.nrows(), 1, "{name} {v}");
            let row = Value::from_row_slice(1, gv.len(), gv.as_slice());
            assert!(common::rel(jv, &row) < 1e-8, "{name} {v}: {jv} vs {row}");
        }
    }
}

/// A point as a point file: numbers, arrays (column vectors) and arrays of rows.
fn point_json(p: &matgrad::numeric::Point) -> String {
    let mut obj = serde_json::Map::new();
    for (k, v) in &p.values {
        let val = if v.shape() == (1, 1) {
            serde_json::json!(v[(0, 0)])
        } else if v.ncols() == 1 {
            serde_json::json!(v.iter().copied().collect::<Vec<f64>>())
        } else {
            matgrad::jacobian::rows(v)
        };
        obj.insert(k.to_string(), val);
    }
    serde_json::Value::Object(obj).to_string()
}

/// The `hessian.x` of `--hessian --format json` (the contract's array of rows) at a point.
fn cli_hessian(src: &str, point: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_matgrad"))
        .args([
            src,
            "--wrt",
            "x",
            "--hessian",
            "--at",
            point,
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{src}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let rows: Vec<Vec<f64>> = serde_json::from_value(v["hessian"]["x"].clone()).expect("rows");
    Value::from_fn(rows.len(), rows.len(), |i, j| rows[i][j])
}

/// Scalar problems of a vector variable: the Hessian (`--hessian`) equals the Jacobian
/// of the gradient (the gradient's ASCII program, derived again with
/// `matgrad::jacobian`), and both equal central differences of the gradient.
#[test]
fn hessian_is_the_jacobian_of_the_gradient() {
    let cases = [
        "A : n x n; x : n; x'*A*x",
        "A : m x n; x : n; y : m; 0.25*norm2(y - (A*x).^2)",
        "W : m x n; x : n; y : m; sum(log(1 + exp(-y .* (W*x))))",
        "x : n; logsumexp(x) + norm(x)",
        "W : m x n; x : n; y : m; -y'*log(softmax(W*x))",
        "x : n; S : spd n x n; sum(sqrt(1 + x.^2)) + 0.5*x'*inv(S)*x",
        "x : n; A : n x n; tanh(x'*A*x)*sum(sigmoid(x))",
    ];
    for (k, src) in cases.iter().enumerate() {
        let g = matgrad::gradient(src, &["x"]).unwrap_or_else(|e| panic!("{src}: {e}"));
        let program = common::ascii_program(&g, src, "x");
        let j = matgrad::jacobian(&program, &["x"]).unwrap_or_else(|e| panic!("{program}: {e}"));
        assert_eq!(j.forms, vec![Form::Matrix], "{program}");
        let grad_model = matgrad::jacobian::parse(&program).expect("parses");
        for seed in 0..3 {
            let p = common::point(&g.model, 40 + 3 * k as u64 + seed);
            let jac = j.evaluate(&p).unwrap_or_else(|e| panic!("{program}: {e}"))[0].clone();
            let file = temp(&format!("hessian-{k}-{seed}.json"), &point_json(&p));
            let hess = cli_hessian(src, &file);
            assert!(common::rel(&jac, &hess) < 1e-8, "{src}:\n{jac}\n{hess}");
            let mut q = p.clone();
            q.values
                .retain(|s, _| grad_model.input(s.as_str()).is_some());
            let fd = finite_difference(&grad_model, "x", &q, 1e-6).expect("fd");
            assert!(common::rel(&jac, &fd) < 1e-5, "{src}:\n{jac}\n{fd}");
        }
    }
}

/// `Jᵀu` from `--vjp` equals the Jacobian's transpose times vec(u).
#[test]
fn vjp_is_the_transposed_jacobian() {
    for (src, wrt, _) in CASES {
        let v = matgrad::vjp(src, wrt, "u_").unwrap_or_else(|e| panic!("{src}: {e}"));
        let j = matgrad::jacobian(src, wrt).unwrap_or_else(|e| panic!("{src}: {e}"));
        let p = common::point(&v.model, 3);
        let (vs, js) = (
            v.evaluate(&p).expect("vjp"),
            j.evaluate(&p).expect("jacobian"),
        );
        let u = &p.values[&Symbol::from("u_")];
        let u = Value::from_column_slice(u.len(), 1, u.as_slice());
        for (x, (vv, jv)) in wrt.iter().zip(vs.iter().zip(&js)) {
            let jtu = jv.transpose() * &u;
            let jtu = Value::from_column_slice(vv.nrows(), vv.ncols(), jtu.as_slice());
            assert!(common::rel(vv, &jtu) < 1e-8, "{src} {x}:\n{vv}\n{jtu}");
        }
    }
}

/// A non-scalar objective without `--jacobian` is refused with a pointer to it.
#[test]
fn nonscalar_refusal_mentions_jacobian() {
    let out = run(&[LINEAR, "--wrt", "x"], None);
    assert!(out.starts_with("exit 2"), "{out}");
    assert!(out.contains("--jacobian"), "{out}");
}
