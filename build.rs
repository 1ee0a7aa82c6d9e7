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

/// The rules of one file as Rust table rows. A line that is not a rule, or a rule
/// without a comment above it, stops the build with its `file:line`.
fn rows(file: &str, text: &str) -> String {
    let mut out = String::new();
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
        writeln!(
            out,
            "        TableRule {{ name: {:?}, lhs: {:?}, rhs: {:?}, conds: {:?}, line: {}, documented: {}, needs: &{:?}, adds: &{:?} }},",
            name.trim(),
            lhs,
            rhs,
            conds,
            i + 1,
            documented,
            operators(lhs),
            operators(rhs)
        )
        .expect("writes");
        documented = false;
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
    let mut table = String::from("/// The rules of each file, split at build time (build.rs).\n");
    table += "static RULE_TABLE: &[(&str, &[TableRule])] = &[\n";
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a rule file");
        let name = format!(
            "rules/{}",
            path.file_name().expect("a name").to_string_lossy()
        );
        writeln!(table, "    ({name:?}, &[\n{}    ]),", rows(&name, &text)).expect("writes");
    }
    table += "];\n";
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("rule_table.rs"), table)
        .expect("writes the rule table");
    link::static_binary(Path::new(&out_dir));
}
