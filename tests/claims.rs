//! `--claim`: a table of proposed gradients (the student answers of the seed
//! homework and the classic slips, tests/data/claims.toml) with the verdict and the
//! kind of reason each must get; errors in a claim point into the claim.

mod common;

use matgrad::ClaimError;

struct Case {
    problem: String,
    wrt: Vec<String>,
    claim: String,
    verdict: String,
    kind: String,
    source: String,
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/claims.toml");
    let v: toml::Value = toml::from_str(text).expect("claims.toml parses");
    let seeds = common::seeds();
    let s = |c: &toml::Value, k: &str| c.get(k).and_then(|x| x.as_str()).map(str::to_string);
    v["case"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let problem = match s(c, "seed") {
                Some(name) => seeds
                    .iter()
                    .find(|p| p["name"].as_str() == Some(name.as_str()))
                    .and_then(|p| p["input"].as_str())
                    .unwrap_or_else(|| panic!("no seed {name}"))
                    .to_string(),
                None => s(c, "problem").expect("problem"),
            };
            Case {
                problem,
                wrt: c["wrt"]
                    .as_array()
                    .expect("wrt")
                    .iter()
                    .map(|w| w.as_str().expect("name").to_string())
                    .collect(),
                claim: s(c, "claim").expect("claim"),
                verdict: s(c, "verdict").expect("verdict"),
                kind: s(c, "kind").expect("kind"),
                source: s(c, "source").unwrap_or_default(),
            }
        })
        .collect()
}

#[test]
fn claims_table() {
    let cases = cases();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let wrt: Vec<&str> = c.wrt.iter().map(String::as_str).collect();
        let got = match matgrad::check_claim(&c.problem, &wrt, &c.claim) {
            Ok(v) => {
                let kind = serde_json::to_value(v.kind).expect("kind");
                let verdict = serde_json::to_value(v.verdict).expect("verdict");
                // A wrong verdict that is not about shapes comes with a point where the two differ.
                let shows_point = v.is_correct() || v.kind == matgrad::claim::Kind::Shape;
                assert_eq!(
                    v.counterexample.is_none(),
                    shows_point,
                    "{}: {:?}",
                    c.claim,
                    v.counterexample
                );
                (
                    verdict.as_str().unwrap_or_default().to_string(),
                    kind.as_str().unwrap_or_default().to_string(),
                    v.reason,
                )
            }
            Err(ClaimError::Claim(e)) => {
                let span = e.span.clone().expect("an error in the claim has a place");
                assert!(span.end <= c.claim.len(), "{}: span {span:?}", c.claim);
                ("error".into(), format!("{:?}", e.kind), e.message)
            }
            Err(ClaimError::Problem(e)) => panic!("{}: problem error {e}", c.problem),
        };
        if got.0 != c.verdict || got.1 != c.kind {
            failures.push(format!(
                "{} [{}]\n  want {} {}, got {} {}: {}",
                c.claim, c.source, c.verdict, c.kind, got.0, got.1, got.2
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn counterexample_is_a_point_where_they_differ() {
    let problem = "x, y : n; 0.5*norm2(x .* y)";
    let v = matgrad::check_claim(problem, &["x"], "(y*y')*x").expect("verdict");
    let point = serde_json::Value::Object(v.counterexample.clone().expect("a point"));
    let g = matgrad::gradient(problem, &["x"]).expect("gradient");
    let p = g
        .point(&point.to_string())
        .expect("the counterexample is a point file");
    assert!(p.dims.values().all(|n| *n <= 3), "sizes 1–3: {:?}", p.dims);
    let expected = g.evaluate(&p).expect("value")[0].clone();
    let shown: Vec<f64> =
        serde_json::from_value(v.expected_value.clone().expect("value")).expect("numbers");
    let claimed: Vec<f64> =
        serde_json::from_value(v.claimed_value.clone().expect("value")).expect("numbers");
    assert_eq!(expected.as_slice(), shown.as_slice());
    assert!(
        claimed
            .iter()
            .zip(&shown)
            .any(|(a, b)| (a - b).abs() > 1e-3)
    );
}
