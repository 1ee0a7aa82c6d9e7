#!/usr/bin/env python3
"""Do two matgrad binaries print the same forms? For a change meant to make matgrad
faster without changing any answer.

    cargo run --release --example gen_problems -- 600 > problems.tsv
    python3 bench/same_forms.py OLD/matgrad NEW/matgrad [--problems problems.tsv]

Runs both binaries, one process per problem, on every problem of
tests/data/forms.toml and tests/data/seeds.toml (the gradient, the gradient with
--hessian, and the gradient in ASCII and in JSON) and on each generated problem
of the file (`input<TAB>variables`, from examples/gen_problems.rs: the test
generator's fuzz, property and Hessian grammars; the gradient and the gradient
with --hessian), and compares standard output, standard error and the exit code
byte for byte. Prints the number of runs compared and the first differences;
exits 1 if there is one.
"""

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cases(problems):
    """(input, variables, extra argument lists) of every problem to run."""
    out = []
    for name in ["tests/data/forms.toml", "tests/data/seeds.toml"]:
        for p in tomllib.loads((ROOT / name).read_text())["problem"]:
            wrt = p["wrt"] if isinstance(p["wrt"], list) else [p["wrt"]]
            modes = [[], ["--hessian"], ["--format", "ascii"], ["--format", "json"]]
            out.append((p["input"], wrt, modes))
    if problems:
        for line in Path(problems).read_text().splitlines():
            src, _, wrt = line.partition("\t")
            out.append((src, wrt.split(), [[], ["--hessian"]]))
    return out


def run(binary, src, wrt, extra):
    args = [binary, src] + [a for v in wrt for a in ("--wrt", v)] + extra
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    return (r.returncode, r.stdout, r.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--problems", help="generated problems, input<TAB>variables a line")
    a = ap.parse_args()
    runs, diffs = 0, []
    for src, wrt, modes in cases(a.problems):
        for extra in modes:
            old, new = run(a.old, src, wrt, extra), run(a.new, src, wrt, extra)
            runs += 1
            if old != new:
                diffs.append((src, wrt, extra, old, new))
    print(f"{runs} runs compared, {len(diffs)} differ")
    for src, wrt, extra, old, new in diffs[:5]:
        print(f"\n{src}  --wrt {' '.join(wrt)} {' '.join(extra)}")
        print(f"old (exit {old[0]}):\n{old[1]}{old[2]}")
        print(f"new (exit {new[0]}):\n{new[1]}{new[2]}")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
