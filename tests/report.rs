//! The typed report: what each kind of run holds, and its JSON.

use matgrad::report::{Named, Numbers, Report};

fn gradient(src: &str, wrt: &[&str]) -> matgrad::Gradient {
    matgrad::gradient(src, wrt).expect("derives")
}

#[test]
fn reports_hold_what_was_asked() {
    let g = gradient("A : n x n; x : n; x'*A*x", &["x", "A"]);
    let point = g
        .point(r#"{"A": [[1, 2], [3, 4]], "x": [1, 1]}"#)
        .expect("point");
    let cases: [(&str, Option<&matgrad::numeric::Point>, bool, &[&str]); 3] = [
        ("no point", None, false, &["expression", "definitions"]),
        (
            "at a point",
            Some(&point),
            false,
            &["value", "gradient", "expression", "definitions"],
        ),
        (
            "hessian",
            Some(&point),
            true,
            &[
                "value",
                "gradient",
                "expression",
                "definitions",
                "hessian",
                "hessian_expression",
            ],
        ),
    ];
    let g1 = gradient("A : n x n; x : n; x'*A*x", &["x"]);
    for (what, at, hessian, keys) in cases {
        let grad = if hessian { &g1 } else { &g };
        let r = Report::gradients(grad, at, hessian).expect(what);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
        let got: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(got, keys, "{what}");
    }
    let r = Report::gradients(&g, Some(&point), false).expect("report");
    assert_eq!(r.value, Some(Numbers::Scalar(10.0)));
    let grads = r.gradient.expect("gradient");
    assert_eq!(grads.get("x"), Some(&Numbers::Vector(vec![7.0, 13.0])));
    assert_eq!(
        grads.get("A"),
        Some(&Numbers::Rows(vec![vec![1.0, 1.0], vec![1.0, 1.0]]))
    );
    assert_eq!(
        r.expression
            .expect("expression")
            .get("x")
            .map(String::as_str),
        Some("(A + A')*x")
    );
}

#[test]
fn a_problem_alone_reports_its_value_only() {
    let m = matgrad::parse_problem("x : n; x'*x").expect("parses");
    assert_eq!(Report::problem(&m, None).expect("report").to_json(), "{}\n");
}

#[test]
fn notes_and_named_entries_serialize_in_order() {
    let r = Report {
        definitions: Some(Named(vec![
            ("k".into(), "W*x".into()),
            ("a".into(), "k'*k".into()),
        ])),
        notes: vec!["a limit".into()],
        ..Report::default()
    };
    assert_eq!(
        serde_json::to_string(&r).expect("json"),
        r#"{"definitions":{"k":"W*x","a":"k'*k"},"notes":["a limit"]}"#
    );
}
