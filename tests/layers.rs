//! The layers of ARCHITECTURE.md, enforced: every `crate::` path in `src/` (in `use`
//! lines and in code) names a module of a lower layer than the file's own module,
//! or its own module; never a module of the same layer, a higher one, or an item
//! defined in `lib.rs`. (`super::` stays inside a module: the top-level files use
//! it only in their inline modules.)

use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// Module name → layer, from the table under `<!-- layers` in ARCHITECTURE.md.
fn layers() -> HashMap<String, usize> {
    let text = fs::read_to_string("ARCHITECTURE.md").expect("ARCHITECTURE.md");
    let table = text.split("<!-- layers").nth(1).expect("the layers table");
    let mut out = HashMap::new();
    for line in table.lines().skip(1) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 {
            if !out.is_empty() {
                break;
            }
            continue;
        }
        let Ok(layer) = cells[1].parse::<usize>() else {
            continue;
        };
        for m in cells[2].split(',') {
            out.insert(m.trim().to_string(), layer);
        }
    }
    assert!(out.len() > 10, "layers table: {out:?}");
    out
}

/// The top-level module of a file under `src/` (`None` for the crate root and the binary).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!["lib", "main", "cli", "run"].contains(&name.as_str())).then_some(name)
}

/// The first path segment after each `crate::` outside comments; a `{a, b::c}`
/// group gives each of its segments.
fn imports(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for prefix in ["crate::"] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for part in group[..end].split(',') {
                    let seg: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !seg.is_empty() && seg != "self" {
                        out.push(seg);
                    }
                }
            } else {
                let seg: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.push(seg);
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in fs::read_dir(dir).expect("src") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn imports_point_down() {
    let layers = layers();
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix("src").expect("under src");
        let Some(module) = module_of(rel) else {
            continue;
        };
        let Some(&own) = layers.get(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is not in the layers of ARCHITECTURE.md",
                f.display()
            ));
            continue;
        };
        let text = fs::read_to_string(f).expect("read");
        for target in imports(&text) {
            if target == module {
                continue;
            }
            match layers.get(&target) {
                None => wrong.push(format!(
                    "{}: `crate::{target}` is not a module of a layer (an item of lib.rs?)",
                    f.display()
                )),
                Some(&l) if l >= own => wrong.push(format!(
                    "{}: `{module}` (layer {own}) imports `{target}` (layer {l})",
                    f.display()
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_import_reader_sees_every_form() {
    let text = "use crate::ir::Math;\nuse crate::{ops, print::Notation};\n\
                // use crate::hidden;\nlet x = crate::numeric::evaluate(e);\nmy_crate::no;\n";
    assert_eq!(imports(text), ["ir", "ops", "print", "numeric"]);
    assert_eq!(imports("use crate::Gradient;"), ["Gradient"]);
    assert!(imports("use super::analysis;").is_empty());
}
