//! Every example in README.md and docs/*.md runs through the binary and shows what
//! the page says (the convention is at the end of docs/language.md):
//! ```` ```mg ```` blocks are problems that must be read, ```` ```mg file=NAME ````
//! and ```` ```json file=NAME ```` blocks are also saved as files for the page's
//! commands, and ```` ```console ```` blocks hold `$ matgrad ...` commands, each
//! followed by its terminal output (`...` for any lines, `[exit N]` last).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One example of a page.
#[derive(Debug)]
enum Example {
    /// A problem that must be read (exit 0), saved as `file` when named.
    Problem { text: String, file: Option<String> },
    /// A data file for the commands after it.
    File { name: String, text: String },
    /// A command with its expected output and exit status.
    Command {
        line: String,
        expect: Vec<String>,
        exit: i32,
    },
}

/// A fenced block: its info string, first line number and lines.
struct Block {
    info: String,
    line: usize,
    lines: Vec<String>,
}

/// The fenced blocks of a page; also the unfenced lines that look like commands.
fn blocks(text: &str) -> (Vec<Block>, Vec<(usize, String)>) {
    let mut out = Vec::new();
    let mut stray = Vec::new();
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (None, true) => {
                open = Some(Block {
                    info: line.trim_start().trim_start_matches('`').trim().to_string(),
                    line: i + 1,
                    lines: Vec::new(),
                })
            }
            (Some(_), true) => out.extend(open.take()),
            (Some(b), false) => b.lines.push(line.to_string()),
            (None, false) => {
                let t = line.trim_start();
                if t.starts_with("$ matgrad") || t.starts_with("matgrad ") {
                    stray.push((i + 1, line.to_string()));
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is not closed");
    (out, stray)
}

fn file_name(info: &str) -> Option<String> {
    info.split_whitespace()
        .find_map(|w| w.strip_prefix("file="))
        .map(str::to_string)
}

/// The examples of a page, in order, each with its line number.
fn examples(text: &str) -> Vec<(usize, Example)> {
    let (blocks, stray) = blocks(text);
    assert!(
        stray.is_empty(),
        "command lines outside a ```console block are not run: {stray:?}"
    );
    let mut out = Vec::new();
    for b in blocks {
        let kind = b.info.split_whitespace().next().unwrap_or("");
        let body = b.lines.join("\n") + "\n";
        match kind {
            "mg" => out.push((
                b.line,
                Example::Problem {
                    text: body,
                    file: file_name(&b.info),
                },
            )),
            "json" => {
                if let Some(name) = file_name(&b.info) {
                    out.push((b.line, Example::File { name, text: body }));
                }
            }
            "console" => out.extend(commands(&b)),
            _ => {}
        }
    }
    out
}

/// The commands of a ```console block with what each shows.
fn commands(b: &Block) -> Vec<(usize, Example)> {
    let mut out: Vec<(usize, Example)> = Vec::new();
    for (k, line) in b.lines.iter().enumerate() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            out.push((
                b.line + k + 1,
                Example::Command {
                    line: cmd.to_string(),
                    expect: Vec::new(),
                    exit: 0,
                },
            ));
            continue;
        }
        let Some((_, Example::Command { expect, exit, .. })) = out.last_mut() else {
            panic!("line {}: output before any `$ ` command", b.line + k + 1);
        };
        match line
            .strip_prefix("[exit ")
            .and_then(|r| r.strip_suffix(']'))
        {
            Some(n) => *exit = n.parse().expect("exit status"),
            None => expect.push(line.trim_end().to_string()),
        }
    }
    out
}

/// Splits a command line as a shell would for the forms the pages use: words,
/// "double" and 'single' quoted strings (`\\` and `\"` inside double quotes).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut any = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                any = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        _ => cur.push(d),
                    }
                }
            }
            '\'' => {
                any = true;
                cur.extend(chars.by_ref().take_while(|d| *d != '\''));
            }
            c if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            _ => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Runs `matgrad args` in `dir` with `stdin`: (stdout then stderr, exit status).
fn matgrad(dir: &Path, args: &[String], stdin: &str) -> (String, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_matgrad"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("matgrad runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (text, out.status.code().unwrap_or(-1))
}

/// True when `got` matches `want`, where a `...` line stands for any lines and
/// `...` inside a line for any text on it.
fn matches(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w == "..." => (0..=got.len()).any(|k| matches(rest, &got[k..])),
        Some((w, rest)) => {
            got.first().is_some_and(|g| line_matches(w, g.trim_end())) && matches(rest, &got[1..])
        }
    }
}

fn line_matches(want: &str, got: &str) -> bool {
    let parts: Vec<&str> = want.split("...").collect();
    if parts.len() == 1 {
        return want == got;
    }
    let mut rest = got;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            let Some(at) = rest.find(p) else {
                return false;
            };
            rest = &rest[at + p.len()..];
        }
    }
    true
}

/// Runs one command line of a page; an error message when it does not show what it says.
fn run_command(dir: &Path, line: &str, expect: &[String], exit: i32) -> Result<(), String> {
    let (stdin, cmd) = match line.split_once(" | ") {
        Some((echo, cmd)) => {
            let w = words(echo);
            if w.first().map(String::as_str) != Some("echo") {
                return Err(format!("only `echo ... |` may feed matgrad: {line}"));
            }
            (w[1..].join(" ") + "\n", cmd)
        }
        None => (String::new(), line),
    };
    let w = words(cmd);
    if w.first().map(String::as_str) != Some("matgrad") {
        return Err(format!("not a matgrad command: {line}"));
    }
    let (out, code) = matgrad(dir, &w[1..], &stdin);
    let got: Vec<&str> = out.lines().collect();
    if code != exit || !matches(expect, &got) {
        return Err(format!(
            "$ {line}\n--- the page shows (exit {exit}):\n{}\n--- matgrad printed (exit {code}):\n{out}",
            expect.join("\n")
        ));
    }
    Ok(())
}

/// Runs every example of a page in a fresh directory; the failures.
fn check_page(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("page reads");
    let dir = std::env::temp_dir().join(format!(
        "matgrad-docs-{}-{}",
        std::process::id(),
        path.file_stem().and_then(|s| s.to_str()).unwrap_or("page")
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut failures = Vec::new();
    for (line, ex) in examples(&text) {
        let here = format!("{}:{line}", path.display());
        match ex {
            Example::File { name, text } => {
                std::fs::write(dir.join(name), text).expect("write file");
            }
            Example::Problem { text, file } => {
                if let Some(name) = file {
                    std::fs::write(dir.join(name), &text).expect("write file");
                }
                let (out, code) = matgrad(&dir, &["-".to_string()], &text);
                if code != 0 {
                    failures.push(format!("{here}: the problem is not read:\n{text}{out}"));
                }
            }
            Example::Command { line, expect, exit } => {
                if let Err(e) = run_command(&dir, &line, &expect, exit) {
                    failures.push(format!("{here}: {e}"));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

#[test]
fn every_example_in_the_docs_runs() {
    let mut failures = Vec::new();
    let mut count = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page reads");
        let n = examples(&text).len();
        assert!(n > 0, "{}: no examples", page.display());
        count += n;
        failures.extend(check_page(&page));
    }
    assert!(count >= 20, "only {count} examples");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_pages_cite_only_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("page reads");
        for (i, line) in text.lines().enumerate() {
            assert!(
                !line.contains("shared/") && !line.contains("/work/"),
                "{}:{}: cites a file outside the repository: {line}",
                page.display(),
                i + 1
            );
        }
        // Every relative link points at a file of the repository.
        for link in text.split("](").skip(1) {
            let target = link.split(')').next().unwrap_or("");
            let target = target.split('#').next().unwrap_or("");
            if target.is_empty() || target.contains("://") {
                continue;
            }
            let base = page.parent().unwrap_or(root);
            assert!(
                base.join(target).exists(),
                "{}: broken link to {target}",
                page.display()
            );
        }
    }
}

#[test]
fn the_example_reader_follows_its_convention() {
    let page = "text\n\n```mg file=p.mg\nx'*x\n```\n\n```console\n$ matgrad -f p.mg --wrt x\n∂f/∂x = 2x\n$ echo \"a b\" | matgrad - \"--wrt\" 'x'\n...\n[exit 3]\n```\n";
    let ex = examples(page);
    assert_eq!(ex.len(), 3);
    assert!(matches!(&ex[0].1, Example::Problem { file: Some(f), .. } if f == "p.mg"));
    assert!(
        matches!(&ex[2].1, Example::Command { exit: 3, expect, .. } if expect == &vec!["...".to_string()])
    );
    assert_eq!(
        words("matgrad \"x'*A*x\" --wrt 'x y' a\\b"),
        ["matgrad", "x'*A*x", "--wrt", "x y", "a\\b"]
    );
    let lines = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&lines(&["a", "...", "d"]), &["a", "b", "c", "d"]));
    assert!(!matches(&lines(&["a", "d"]), &["a", "b", "d"]));
    assert!(matches(&lines(&["x ... z"]), &["x 1.5e-10 z"]));
    assert!(!matches(&lines(&["x ... z"]), &["y 1 z"]));
    let (_, stray) = blocks("see\n    $ matgrad x --wrt x\n");
    assert_eq!(stray.len(), 1);
}
