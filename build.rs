//! Splits the rule files (`rules/*.rules`) at build time into a table of their rules
//! (name, sides, conditions, line, and the operations of each side), so that a run
//! of matgrad does not read the files' text: `src/simplify/rules.rs` includes the
//! table, parses a rule only when a problem can use it, and its tests check that the
//! table is what reading the files at run time gives. It also links the binary
//! statically where it can (`build/link.rs`).

use std::fmt::Write as _;
use std::path::Path;

#[path = "build/link.rs"]
mod link;
#[path = "src/simplify/scan.rs"]
mod scan;

/// The operators of a pattern's text, sorted, each once.
fn operators(side: &str) -> Vec<&str> {
    let mut out = scan::operator_names(side);
    out.sort_unstable();
    out.dedup();
    out
}

/// A rule as its file writes it.
struct Row<'t> {
    name: &'t str,
    lhs: &'t str,
    rhs: &'t str,
    conds: Option<&'t str>,
    line: usize,
}

/// The rules of one file. A line that is not a rule, or a rule without a comment
/// above it, stops the build with its `file:line`.
fn split<'t>(file: &str, text: &'t str) -> Vec<Row<'t>> {
    let mut out = Vec::new();
    let mut documented = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            documented = false;
            continue;
        }
        if line.starts_with('#') {
            documented = true;
            continue;
        }
        let at = format!("{file}:{}", i + 1);
        let Some((name, body)) = line.split_once(':') else {
            panic!("{at}: expected `name: lhs => rhs [if cond, ...]`");
        };
        let Some((lhs, rest)) = body.split_once("=>") else {
            panic!("{at}: expected `=>`");
        };
        assert!(
            documented,
            "{at}: rule `{}` has no comment stating its identity",
            name.trim()
        );
        let (rhs, conds) = match rest.split_once(" if ") {
            Some((r, c)) => (r, Some(c)),
            None => (rest, None),
        };
        out.push(Row {
            name: name.trim(),
            lhs,
            rhs,
            conds,
            line: i + 1,
        });
        documented = false;
    }
    out
}

/// Table rows; a side's operators are positions in `all` (the sorted operators of
/// every rule).
fn rows(rules: &[Row], all: &[&str]) -> String {
    let at = |side| -> Vec<u8> {
        operators(side)
            .iter()
            .map(|o| {
                let i = all.binary_search(o).expect("a listed operator");
                u8::try_from(i).expect("at most 256 operators")
            })
            .collect()
    };
    let mut out = String::new();
    for r in rules {
        writeln!(
            out,
            "        TableRule {{ name: {:?}, lhs: {:?}, rhs: {:?}, conds: {:?}, line: {}, documented: true, needs: &{:?}, adds: &{:?} }},",
            r.name,
            r.lhs,
            r.rhs,
            r.conds,
            r.line,
            at(r.lhs),
            at(r.rhs)
        )
        .expect("writes");
    }
    out
}

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/link.rs");
    println!("cargo:rerun-if-changed=src/simplify/scan.rs");
    let mut files: Vec<_> = std::fs::read_dir("rules")
        .expect("the rules directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rules"))
        .collect();
    files.sort();
    let texts: Vec<(String, String)> = files
        .iter()
        .map(|path| {
            let name = format!(
                "rules/{}",
                path.file_name().expect("a name").to_string_lossy()
            );
            (name, std::fs::read_to_string(path).expect("a rule file"))
        })
        .collect();
    let split: Vec<(&str, Vec<Row>)> = texts
        .iter()
        .map(|(name, text)| (name.as_str(), split(name, text)))
        .collect();
    let mut all: Vec<&str> = split
        .iter()
        .flat_map(|(_, rules)| rules.iter().flat_map(|r| [r.lhs, r.rhs]))
        .flat_map(operators)
        .collect();
    all.sort_unstable();
    all.dedup();
    let mut table =
        String::from("/// The operators that the rules' sides name, sorted (build.rs).\n");
    writeln!(table, "static OPERATORS: &[&str] = &{all:?};").expect("writes");
    table += "/// The rules of each file, split at build time (build.rs).\n";
    table += "static RULE_TABLE: &[(&str, &[TableRule])] = &[\n";
    for (name, rules) in &split {
        writeln!(table, "    ({name:?}, &[\n{}    ]),", rows(rules, &all)).expect("writes");
    }
    table += "];\n";
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("rule_table.rs"), table)
        .expect("writes the rule table");
    link::static_binary(Path::new(&out_dir));
}
