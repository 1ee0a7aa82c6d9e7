fn main() {
    let text = std::fs::read_to_string("tests/data/seeds.toml").unwrap();
    let v: toml::Value = toml::from_str(&text).unwrap();
    for pr in v["problem"].as_array().unwrap() {
        if pr.get("error").is_some() {
            continue;
        }
        let wrt: Vec<&str> = pr["wrt"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        let t = std::time::Instant::now();
        let g = matgrad::gradient(pr["input"].as_str().unwrap(), &wrt).unwrap();
        let s = &g.derivation.stats;
        println!(
            "{:28} {:>3} it {:>6} nodes {:>5.0} ms limit={:?} last={:?}",
            pr["name"].as_str().unwrap(),
            s.iterations,
            s.nodes,
            t.elapsed().as_secs_f64() * 1e3,
            s.limit,
            &s.last_applied[..s.last_applied.len().min(6)]
        );
    }
}
