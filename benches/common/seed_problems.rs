//! The seed problems (`tests/data/seeds.toml`) that derive, for the benches and the
//! `seed_stats` example: `(name, input, variables)`.

pub fn seed_problems() -> Vec<(String, String, Vec<String>)> {
    let text = include_str!("../../tests/data/seeds.toml");
    let v: toml::Value = toml::from_str(text).expect("seeds.toml parses");
    v["problem"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|pr| pr.get("error").is_none())
        .map(|pr| {
            let wrt = pr["wrt"]
                .as_array()
                .expect("wrt")
                .iter()
                .map(|x| x.as_str().expect("var").to_string())
                .collect();
            (
                pr["name"].as_str().expect("name").to_string(),
                pr["input"].as_str().expect("input").to_string(),
                wrt,
            )
        })
        .collect()
}
