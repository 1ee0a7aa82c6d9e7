#!/usr/bin/env python3
"""matgrad and SymPy's matrix calculus, side by side, on the seed problems.

    python3 bench/compare.py [--runs N] [--matgrad PATH]

Creates its own virtual environment (bench/.venv, with SymPy and NumPy from
PyPI) on first use and reruns itself inside it; builds matgrad with
`cargo build --release` unless --matgrad is given. For every problem of
tests/data/seeds.toml that has an answer, each variable is derived by

- SymPy: the problem written with MatrixSymbol (sizes symbolic, as declared or
  as matgrad infers them), differentiated with `.diff`; elementwise functions
  through `applyfunc`; the time of the `diff` call from an empty SymPy cache,
  median of N runs;
- matgrad: the whole process (`matgrad -f problem --wrt V --at point.json
  --format json`), median of N runs, start-up included.

Each answer is checked numerically with NumPy at a random point (every size 3)
against central finite differences of the objective, evaluated by NumPy from
the problem text. "size" is the length of the answer as text (matgrad's ASCII
form with its definitions; SymPy's `str`).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv"
PACKAGES = ["sympy==1.14.0", "numpy"]


def ensure_venv():
    """Reruns this script inside bench/.venv (created on first use)."""
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    py = VENV / "bin" / "python"
    if not py.exists():
        print(f"creating {VENV.relative_to(ROOT)} with {', '.join(PACKAGES)} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    os.execv(str(py), [str(py), __file__, *sys.argv[1:]])


# ---------------------------------------------------------------- the language

TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_\u03b1-\u03c9\u0391-\u03a9][A-Za-z0-9_\u03b1-\u03c9\u0391-\u03a9\u2080-\u2089]*)"
    r"|(?P<op>\.\*|\./|\.\^|⁻¹|[-+*/^(),'ᵀ∘⊙·−]))"
)


def tokens(text):
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read {text[pos:]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


BINARY = {"+": 1, "-": 1, "−": 1, "*": 2, "·": 2, ".*": 2, "∘": 2, "⊙": 2, "/": 2, "./": 2, "^": 4, ".^": 4}


def parse_expr(toks, i=0, min_prec=0):
    """Pratt parser: (tree, next index). Trees are tuples."""
    kind, tok = toks[i]
    if tok in ("-", "−"):
        operand, i = parse_expr(toks, i + 1, 3)
        left = ("neg", operand)
    elif tok == "(":
        left, i = parse_expr(toks, i + 1, 0)
        i += 1  # ")"
    elif kind == "num":
        left, i = ("num", tok), i + 1
    elif kind == "name" and i + 1 < len(toks) and toks[i + 1][1] == "(":
        args, i = [], i + 2
        while toks[i][1] != ")":
            a, i = parse_expr(toks, i, 0)
            args.append(a)
            if toks[i][1] == ",":
                i += 1
        left, i = ("call", tok, args), i + 1
    else:
        left, i = ("name", tok), i + 1
    while i < len(toks):
        tok = toks[i][1]
        if tok in ("'", "ᵀ"):
            left, i = ("T", left), i + 1
            continue
        if tok == "⁻¹":
            left, i = ("call", "inv", [left]), i + 1
            continue
        prec = BINARY.get(tok)
        if prec is None or prec < min_prec:
            break
        right, i = parse_expr(toks, i + 1, prec if prec == 4 else prec + 1)
        left = (tok, left, right)
    return left, i


def statements(text):
    for raw in re.split(r"[;\n]", re.sub(r"#[^\n]*", "", text)):
        if raw.strip():
            yield raw.strip()


def read_problem(text, declared):
    """(defs, objective): defs is a list of (name, tree); `declared` maps names to types."""
    defs, objective = [], None
    for st in statements(text):
        if re.match(r"^[\w\s,\u0370-\u03ff\u2080-\u2089]+:", st):
            continue  # declarations come from matgrad's reading (`declared`)
        m = re.match(r"^(\w+)\s*=(?!=)(.*)$", st)
        if m:
            tree, _ = parse_expr(tokens(m.group(2)))
            defs.append((m.group(1), tree))
            objective = None
        else:
            objective, _ = parse_expr(tokens(st))
    if objective is None:  # `L = expr` last
        objective = ("name", defs[-1][0])
    return defs, objective


def declarations(matgrad, path):
    """Every input with its type as matgrad reads it: name -> ('scalar'|rows, cols)."""
    out = subprocess.run([matgrad, "-f", path, "--format", "ascii"], capture_output=True, text=True, check=True)
    types = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^([\w, \u0370-\u03ff]+) : (.*)$", line)
        if not m:
            continue
        spec = m.group(2).replace("sym ", "").replace("spd ", "").split(" x ")
        for name in m.group(1).split(","):
            types[name.strip()] = "scalar" if spec == ["scalar"] else (spec[0], spec[1] if len(spec) > 1 else "1")
    return types


# ---------------------------------------------------------------- evaluation


class Eye:
    """`I`, sized by what it meets; `coeff` collects scalar factors."""

    def __init__(self, coeff=1):
        self.coeff = coeff


def evaluate(tree, env, B):
    """Evaluates a tree with backend B (NumPy or SymPy)."""
    ev = lambda t: evaluate(t, env, B)  # noqa: E731
    op = tree[0]
    if op == "num":
        return B.num(tree[1])
    if op == "name":
        if tree[1] == "I" and "I" not in env:
            return Eye()
        return env[tree[1]]
    if op == "neg":
        return B.mul(B.num("-1"), ev(tree[1]))
    if op == "T":
        return B.T(ev(tree[1]))
    if op == "call":
        args = [ev(a) for a in tree[2]]
        return B.call(tree[1], args)
    a, b = ev(tree[1]), ev(tree[2])
    if op in ("+", "-", "−"):
        if op != "+":
            b = B.mul(B.num("-1"), b)
        if isinstance(a, Eye):
            a = B.mul(a.coeff, B.eye(b))
        if isinstance(b, Eye):
            b = B.mul(b.coeff, B.eye(a))
        return B.add(a, b)
    if isinstance(a, Eye) and op in ("*", "·"):
        return Eye(B.mul(a.coeff, b))
    if isinstance(a, Eye) and op == "/":
        return Eye(B.div(a.coeff, b))
    if op in ("*", "·"):
        return B.mul(a, b)
    if op in (".*", "∘", "⊙"):
        return B.had(a, b)
    if op == "/":
        return B.div(a, b)
    if op == "./":
        return B.ediv(a, b)
    if op == "^":
        return B.pow(a, b)
    if op == ".^":
        return B.epow(a, b)
    raise ValueError(op)


class NumPy:
    def __init__(self, np):
        self.np = np

    def num(self, s):
        return float(s)

    def eye(self, like):
        return self.np.eye(self.np.shape(like)[0])

    def T(self, a):
        return self.np.transpose(a) if self.np.ndim(a) else a

    def add(self, a, b):
        return a + b

    def mul(self, a, b):
        np = self.np
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return a * b
        r = a @ b
        return r.item() if r.shape == (1, 1) else r

    def had(self, a, b):
        return a * b

    def div(self, a, b):
        return a / b

    def ediv(self, a, b):
        return a / b

    def pow(self, a, b):
        return a**b

    def epow(self, a, b):
        return a**b

    def call(self, f, args):
        np = self.np
        a = args[0]
        sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
        table = {
            "tr": np.trace, "det": np.linalg.det, "logdet": lambda v: np.log(np.linalg.det(v)),
            "inv": np.linalg.inv, "norm2": lambda v: float(np.sum(v * v)), "norm": lambda v: float(np.sqrt(np.sum(v * v))),
            "sum": lambda v: float(np.sum(v)), "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos,
            "tanh": np.tanh, "sqrt": np.sqrt, "abs": np.abs, "sigmoid": sig, "σ": sig,
            "relu": lambda v: np.maximum(v, 0), "step": lambda v: (v > 0) * 1.0,
            "softplus": lambda v: np.log1p(np.exp(v)), "swish": lambda v: v * sig(v),
            "softmax": lambda v: np.exp(v - v.max()) / np.sum(np.exp(v - v.max())),
            "logsumexp": lambda v: float(v.max() + np.log(np.sum(np.exp(v - v.max())))),
            "diag": lambda v: np.diagflat(v) if v.shape[1] == 1 else np.diag(v).reshape(-1, 1),
        }
        if f == "log" and isinstance(a, float) is False and np.ndim(a) == 0:
            return np.log(a)
        return table[f](a)


class SymPy:
    def __init__(self, sp):
        self.sp = sp

    def is_mat(self, a):
        return isinstance(a, self.sp.MatrixExpr)

    def scalar(self, a):
        """A 1×1 matrix expression as a scalar (its trace)."""
        if self.is_mat(a) and a.shape == (1, 1):
            return self.sp.Trace(a)
        return a

    def num(self, s):
        return self.sp.Rational(s)

    def eye(self, like):
        return self.sp.Identity(like.shape[0])

    def T(self, a):
        return a.T if self.is_mat(a) else a

    def add(self, a, b):
        return self.scalar(a) + self.scalar(b) if not (self.is_mat(a) and self.is_mat(b)) else a + b

    def mul(self, a, b):
        if self.is_mat(a) and self.is_mat(b):
            return self.scalar(self.sp.MatMul(a, b).doit())
        return a * b

    def had(self, a, b):
        return self.sp.hadamard_product(a, b) if self.is_mat(a) else a * b

    def div(self, a, b):
        return a * (1 / b)

    def ediv(self, a, b):
        if not self.is_mat(b):
            return a / b
        return self.sp.hadamard_product(a, self.sp.HadamardPower(b, -1))

    def pow(self, a, b):
        return a**b

    def epow(self, a, b):
        return self.sp.HadamardPower(a, b) if self.is_mat(a) else a**b

    def call(self, f, args):
        sp = self.sp
        a = args[0]
        t = sp.Dummy("t")
        elementwise = {
            "exp": sp.exp, "log": sp.log, "sin": sp.sin, "cos": sp.cos, "tanh": sp.tanh, "sqrt": sp.sqrt,
            "abs": sp.Abs, "sigmoid": sp.Lambda(t, 1 / (1 + sp.exp(-t))), "σ": sp.Lambda(t, 1 / (1 + sp.exp(-t))),
            "relu": sp.Lambda(t, sp.Max(t, 0)), "step": sp.Heaviside,
            "softplus": sp.Lambda(t, sp.log(1 + sp.exp(t))), "swish": sp.Lambda(t, t / (1 + sp.exp(-t))),
        }
        if f in elementwise:
            fn = elementwise[f]
            return a.applyfunc(fn) if self.is_mat(a) else fn(a)
        if f == "tr":
            return sp.Trace(a)
        if f == "det":
            return sp.Determinant(a)
        if f == "logdet":
            return sp.log(sp.Determinant(a))
        if f == "inv":
            return sp.Inverse(a)
        if f in ("norm2", "norm"):
            n2 = sp.Trace(a.T * a) if self.is_mat(a) else a**2
            return n2 if f == "norm2" else sp.sqrt(n2)
        if f == "sum":
            return sp.Trace(sp.OneMatrix(1, a.shape[0]) * a * sp.OneMatrix(a.shape[1], 1))
        if f == "logsumexp":
            return sp.log(sp.Trace(sp.OneMatrix(1, a.shape[0]) * a.applyfunc(sp.exp)))
        if f == "softmax":
            e = a.applyfunc(sp.exp)
            return e * (1 / sp.Trace(sp.OneMatrix(1, a.shape[0]) * e))
        raise NotImplementedError(f"{f} has no SymPy matrix form here")


# ---------------------------------------------------------------- one problem


def objective(defs, obj, env, B):
    env = dict(env)
    for name, tree in defs:
        env[name] = evaluate(tree, env, B)
    return evaluate(obj, env, B)


def finite_differences(np, f, point, var, h=1e-6):
    x = np.array(point[var], dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        for sign in (1, -1):
            p = dict(point)
            y = x.copy()
            y[idx] += sign * h
            p[var] = y if y.ndim else float(y)
            g[idx] += sign * f(p)
    return g / (2 * h)


def close(np, got, want):
    got = np.asarray(got, dtype=float)
    if got.shape != want.shape:
        if got.size != want.size:
            return False
        got = got.T if got.T.shape == want.shape else got.reshape(want.shape)
    scale = max(1.0, float(np.max(np.abs(want))))
    return bool(np.all(np.isfinite(got))) and float(np.max(np.abs(got - want))) <= 1e-5 * scale


def median_time(fn, runs, setup=None):
    times = []
    for _ in range(runs):
        if setup:
            setup()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def run_matgrad(matgrad, path, var, point_file):
    out = subprocess.run(
        [matgrad, "-f", path, "--wrt", var, "--at", point_file, "--format", "json"],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        return None, None
    res = json.loads(out.stdout)
    text = "\n".join(f"{k} = {v}" for k, v in res["definitions"].items()) + "\n" + res["expression"][var]
    return res["gradient"][var], text


def sympy_answer(sp, np, defs, obj, types, var, point, runs):
    """(right, ms, size) or (None, ..., reason) when SymPy cannot take the problem."""
    dims = {}

    def dim(d):
        return int(d) if d.isdigit() else dims.setdefault(d, sp.Symbol(d, positive=True, integer=True))

    env = {}
    for name, t in types.items():
        env[name] = sp.Symbol(name) if t == "scalar" else sp.MatrixSymbol(name, dim(t[0]), dim(t[1]))
    B = SymPy(sp)
    try:
        f = B.scalar(objective(defs, obj, env, B))
    except Exception as e:  # noqa: BLE001 - any SymPy failure is a row of the table
        return False, None, f"not expressible ({type(e).__name__})"
    try:
        # SymPy caches what it computed: each run starts from an empty cache.
        ms = median_time(lambda: f.diff(env[var]), runs, setup=sp.core.cache.clear_cache)
        d = f.diff(env[var])
    except Exception as e:  # noqa: BLE001
        return False, None, f"diff fails ({type(e).__name__})"
    try:
        subs = {dims[k]: 3 for k in dims}
        d_num = d.subs(subs)
        values = {}
        for name, t in types.items():
            v = point[name]
            values[env[name].subs(subs) if t != "scalar" else env[name]] = (
                sp.Matrix(np.array(v, dtype=float).reshape(-1, 1) if np.ndim(v) == 1 else v) if t != "scalar" else v
            )
        got = d_num.xreplace(values).doit()
        got = np.array(sp.Matrix(got).evalf() if hasattr(got, "shape") else [[got.evalf()]], dtype=float)
    except Exception as e:  # noqa: BLE001
        return False, ms, f"unevaluable ({type(e).__name__})"
    text = str(d)
    return got, ms, len(text) if text != "0" else "1 (`0`)"


def main():
    ensure_venv()
    import numpy as np
    import sympy as sp

    args = sys.argv[1:]
    runs = int(args[args.index("--runs") + 1]) if "--runs" in args else 5
    if "--matgrad" in args:
        matgrad = args[args.index("--matgrad") + 1]
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
        matgrad = str(target / "release" / "matgrad")
    seeds = tomllib.loads((ROOT / "tests" / "data" / "seeds.toml").read_text())["problem"]
    rng = np.random.default_rng(1)
    tmp = Path(tempfile.mkdtemp(prefix="matgrad-compare-"))
    rows = []
    for pr in seeds:
        if "error" in pr:
            continue
        path = tmp / f"{pr['name']}.mg"
        path.write_text(pr["input"])
        types = declarations(matgrad, str(path))
        defs, obj = read_problem(pr["input"], types)
        point = {}
        for name, t in types.items():
            if t == "scalar":
                point[name] = float(rng.uniform(0.5, 1.5))
            else:
                shape = tuple(int(d) if d.isdigit() else 3 for d in t)
                m = rng.normal(size=shape)
                if shape[0] == shape[1] and shape[0] > 1:
                    m = m @ m.T + shape[0] * np.eye(shape[0])  # SPD: logdet, inverses, sqrt(det) defined
                point[name] = m[:, 0] if shape[1] == 1 else m
        as_json = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in point.items()}
        point_file = tmp / f"{pr['name']}.json"
        point_file.write_text(json.dumps(as_json))
        npoint = {k: (v.reshape(-1, 1) if isinstance(v, np.ndarray) and v.ndim == 1 else v) for k, v in point.items()}
        f = lambda p: float(objective(defs, obj, p, NumPy(np)))  # noqa: E731
        for var in pr["wrt"]:
            want = finite_differences(np, f, npoint, var)
            mg_grad, mg_text = run_matgrad(matgrad, str(path), var, str(point_file))
            mg_ms = median_time(lambda: run_matgrad(matgrad, str(path), var, str(point_file)), runs)
            mg_ok = mg_grad is not None and close(np, np.array(mg_grad, dtype=float).reshape(want.shape), want)
            got, sp_ms, sp_size = sympy_answer(sp, np, defs, obj, types, var, npoint, runs)
            sp_ok = isinstance(got, np.ndarray) and close(np, got, want)
            rows.append((f"{pr['name']} ∂{var}", mg_ok, mg_ms, len(mg_text or ""), sp_ok, sp_ms, sp_size))
    print(f"Versions: matgrad {subprocess.run([matgrad, '--version'], capture_output=True, text=True).stdout.split()[-1]}, "
          f"SymPy {sp.__version__}, NumPy {np.__version__}, Python {sys.version.split()[0]}; "
          f"times are medians of {runs} runs (matgrad: whole process)\n")
    print("| problem | matgrad right | matgrad ms | matgrad size | SymPy right | SymPy ms | SymPy size |")
    print("|---|---|---|---|---|---|---|")
    yes = lambda b: "yes" if b else "**no**"  # noqa: E731
    for name, mok, mms, msize, sok, sms, ssize in rows:
        sms_text = f"{sms:.1f}" if sms is not None else "—"
        print(f"| {name} | {yes(mok)} | {mms:.1f} | {msize} | {yes(sok)} | {sms_text} | {ssize} |")
    right = sum(r[1] for r in rows), sum(r[4] for r in rows)
    print(f"\nright: matgrad {right[0]}/{len(rows)}, SymPy {right[1]}/{len(rows)}")


if __name__ == "__main__":
    main()
