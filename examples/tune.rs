use std::time::Instant;
fn main() {
    let patience: usize = std::env::var("P").ok().and_then(|s| s.parse().ok()).unwrap_or(4);
    let ml: usize = std::env::var("ML").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    let text = include_str!("../tests/data/seeds.toml");
    let v: toml::Value = toml::from_str(text).unwrap();
    let mut opts = matgrad::Options::default();
    opts.limits.patience = patience;
    opts.limits.match_limit = ml;
    let mut total = 0.0;
    for pr in v["problem"].as_array().unwrap() {
        if pr.get("error").is_some() { continue; }
        let input = pr["input"].as_str().unwrap();
        let wrt: Vec<&str> = pr["wrt"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
        let t = Instant::now();
        let g = matgrad::gradient_with(matgrad::parse_problem(input).unwrap(), &wrt, &opts).unwrap();
        let ms = t.elapsed().as_secs_f64()*1e3; total += ms;
        let s = &g.derivation.stats;
        eprintln!("{} {:.1}ms it={} n={}", pr["name"].as_str().unwrap(), ms, s.iterations, s.nodes);
        println!("{}\n{}", pr["name"].as_str().unwrap(), g.print(matgrad::Notation::Ascii));
    }
    eprintln!("total {total:.1}");
}
