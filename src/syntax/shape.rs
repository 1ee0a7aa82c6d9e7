//! Shape inference and lowering: from the syntax tree to the hash-consed IR.
//!
//! Every node gets a shape over dimension variables that are unified as the
//! operations demand (the shape rule of each operation lives with the operation,
//! in `ops/`). Declarations fix dimensions; names that are not declared get their
//! kind from their use and, failing that, from their spelling (upper case: matrix,
//! Greek: scalar, other lower case: column vector).

use std::collections::HashMap;

use egg::Symbol;

use super::ast::{BinOp, DimSpec, Expr, ExprKind, Problem, Stmt, Structure, TypeSpec};
use super::unify::{DimVal, Unifier};
use crate::error::{Error, ErrorKind, Result, Span};
use crate::ir::{Dim, Math, Shape};
use crate::model::{Input, Model};
use crate::ops::{self, DimAlgebra, Mismatch, Sh};
use crate::rational::Rational;

type IShape = Sh<usize>;

pub use crate::structure::DataShape;

pub use crate::names::is_greek;

struct PreNode {
    node: Math,
    eye: Option<usize>,
    /// Where the user first wrote it.
    span: Option<Span>,
}

struct Lowerer<'a> {
    src: &'a str,
    u: Unifier,
    nodes: Vec<PreNode>,
    shapes: Vec<IShape>,
    memo: HashMap<String, usize>,
    inputs: Vec<(Input, IShape)>,
    index: HashMap<String, usize>,
    defs: Vec<(String, usize)>,
    def_index: HashMap<String, (usize, Span)>,
    dim_names: HashMap<String, usize>,
    /// The names of dimensions not declared, for the unknown sizes.
    pool: DimNames,
}

/// Names for unknown dimensions, in order: `n`, `m`, `p`, ..., then `n1` to `n99`,
/// each unless a declaration uses it (then `n?`); made one at a time, as they are
/// needed (a problem needs a few).
struct DimNames {
    declared: Vec<String>,
    next: usize,
}

impl DimNames {
    const FIRST: [&str; 10] = ["n", "m", "p", "q", "k", "l", "r", "s", "t", "d"];

    fn take(&mut self) -> String {
        while self.next < Self::FIRST.len() + 99 {
            let i = self.next;
            self.next += 1;
            let name = match Self::FIRST.get(i) {
                Some(n) => n.to_string(),
                None => format!("n{}", i + 1 - Self::FIRST.len()),
            };
            if !self.declared.contains(&name) {
                return name;
            }
        }
        "n?".into()
    }
}

/// Lowers a parsed problem (refusing a non-scalar objective if `scalar_objective`). `data` gives the shapes of values from a point file, which fix types and sizes.
pub fn lower(
    problem: &Problem,
    src: &str,
    data: Option<&HashMap<String, DataShape>>,
    scalar_objective: bool,
) -> Result<Model> {
    let mut declared_dims: Vec<String> = Vec::new();
    for s in &problem.stmts {
        if let Stmt::Decl { ty, .. } = s {
            for d in dims_of(ty) {
                if let DimSpec::Named(n) = d {
                    declared_dims.push(n.clone());
                }
            }
        }
    }
    let pool = DimNames {
        declared: declared_dims,
        next: 0,
    };
    let mut l = Lowerer {
        src,
        u: Unifier::default(),
        nodes: Vec::new(),
        shapes: Vec::new(),
        memo: HashMap::new(),
        inputs: Vec::new(),
        index: HashMap::new(),
        defs: Vec::new(),
        def_index: HashMap::new(),
        dim_names: HashMap::new(),
        pool,
    };
    for s in &problem.stmts {
        if let Stmt::Decl { names, ty, .. } = s {
            for (name, span) in names {
                l.declare(name, span.clone(), ty)?;
            }
        }
    }
    if let Some(data) = data {
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        for name in names {
            if !l.index.contains_key(name) && name != "I" {
                // The value fixes the kind (scalar, vector, matrix) and its sizes,
                // which may meet a declared name: `X : n x n` with a 2×2 value of `R`
                // in `X .* R` (the point is checked against the sizes afterwards).
                let d = data[name];
                let mut size = |k: usize| match k {
                    1 => l.u.one(),
                    k => l.u.fixed(DimVal::Data(k as u64)),
                };
                let shape = Sh {
                    rows: size(d.rows),
                    cols: size(d.cols),
                };
                l.add_input(name, 0..0, shape, Structure::General, false);
            }
        }
    }
    let last = problem.stmts.len() - 1;
    let mut objective = None;
    let mut objective_name = None;
    for (i, s) in problem.stmts.iter().enumerate() {
        match s {
            Stmt::Decl { .. } => {
                if i == last {
                    return Err(Error::at(
                        ErrorKind::Syntax,
                        stmt_span(s),
                        "the last statement must be the objective, not a declaration",
                    )
                    .with_label("add the expression to differentiate after this line"));
                }
            }
            Stmt::Def {
                name,
                name_span,
                expr,
            } => {
                let id = l.define(name, name_span.clone(), expr)?;
                if i == last {
                    objective = Some((id, expr.span.clone()));
                    objective_name = Some(name.clone());
                }
            }
            Stmt::Expr(e) => {
                if i != last {
                    return Err(Error::at(
                        ErrorKind::Syntax,
                        e.span.clone(),
                        "only the last statement may be a bare expression",
                    )
                    .with_label("name it (`K = ...`) or move it to the end"));
                }
                objective = Some((l.expr(e)?, e.span.clone()));
            }
        }
    }
    let (obj, obj_span) =
        objective.ok_or_else(|| Error::new(ErrorKind::Syntax, "the problem has no objective"))?;
    let shape = l.shapes[obj].clone();
    if scalar_objective && ops::require_scalar(&mut l.u, &shape, 0).is_err() {
        let text = &src[obj_span.clone()];
        let desc = l.describe(&shape);
        return Err(Error::at(
            ErrorKind::NonScalarObjective,
            obj_span,
            format!(
                "the objective must be a scalar, but `{}` is {desc}",
                short(text)
            ),
        )
        .with_label(
            "wrap it in norm2(...), sum(...) or tr(...), or ask for its Jacobian with --jacobian",
        ));
    }
    l.finish(obj, objective_name)
}

fn stmt_span(s: &Stmt) -> Span {
    match s {
        Stmt::Decl { span, .. } => span.clone(),
        Stmt::Def {
            name_span, expr, ..
        } => name_span.start..expr.span.end,
        Stmt::Expr(e) => e.span.clone(),
    }
}

fn dims_of(ty: &TypeSpec) -> Vec<&DimSpec> {
    match ty {
        TypeSpec::Scalar => vec![],
        TypeSpec::Vector(d) => vec![d],
        TypeSpec::Matrix(_, a, b) => vec![a, b],
    }
}

/// The text of a place in the input on one line, cut after 40 characters.
pub fn short(text: &str) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 40 {
        format!("{}…", t.chars().take(39).collect::<String>())
    } else {
        t
    }
}

impl Lowerer<'_> {
    fn dim(&mut self, d: &DimSpec) -> usize {
        match d {
            DimSpec::Fixed(n) => self.u.fixed(DimVal::Fixed(*n)),
            DimSpec::Named(s) => {
                if let Some(&v) = self.dim_names.get(s) {
                    return v;
                }
                let v = self.u.fixed(DimVal::Named(s.clone()));
                self.dim_names.insert(s.clone(), v);
                v
            }
        }
    }

    fn fresh(&mut self) -> usize {
        let label = self.pool.take();
        self.u.fresh(label)
    }

    fn declare(&mut self, name: &str, span: Span, ty: &TypeSpec) -> Result<()> {
        if self.index.contains_key(name) {
            return Err(Error::at(
                ErrorKind::Declaration,
                span,
                format!("`{name}` is declared twice"),
            )
            .with_label("already declared above"));
        }
        if name == "I" {
            return Err(Error::at(
                ErrorKind::Declaration,
                span,
                "`I` is the identity matrix and cannot be declared",
            ));
        }
        let one = self.u.one();
        let (shape, structure) = match ty {
            TypeSpec::Scalar => (
                Sh {
                    rows: one,
                    cols: one,
                },
                Structure::General,
            ),
            TypeSpec::Vector(d) => (
                Sh {
                    rows: self.dim(d),
                    cols: one,
                },
                Structure::General,
            ),
            TypeSpec::Matrix(st, a, b) => {
                let (r, c) = (self.dim(a), self.dim(b));
                if *st != Structure::General && !self.u.unify(&r, &c) {
                    return Err(Error::at(
                        ErrorKind::Declaration,
                        span,
                        format!("`{name}` is declared symmetric but is not square"),
                    ));
                }
                (Sh { rows: r, cols: c }, *st)
            }
        };
        self.add_input(name, span, shape, structure, true);
        Ok(())
    }

    fn add_input(
        &mut self,
        name: &str,
        span: Span,
        shape: IShape,
        structure: Structure,
        declared: bool,
    ) -> usize {
        let input = Input {
            name: name.to_string(),
            shape: Shape::scalar(),
            structure,
            declared,
            span,
        };
        self.inputs.push((input, shape));
        self.index.insert(name.to_string(), self.inputs.len() - 1);
        self.inputs.len() - 1
    }

    fn define(&mut self, name: &str, span: Span, e: &Expr) -> Result<usize> {
        if let Some(&i) = self.index.get(name) {
            let msg = if self.inputs[i].0.declared {
                format!("`{name}` is declared as an input and cannot also be defined")
            } else {
                format!("`{name}` is used before it is defined")
            };
            return Err(Error::at(ErrorKind::Declaration, span, msg));
        }
        if self.def_index.contains_key(name) {
            return Err(Error::at(
                ErrorKind::Declaration,
                span,
                format!("`{name}` is defined twice"),
            ));
        }
        let id = self.expr(e)?;
        // A use of the name inside its own definition made it an (undeclared) input.
        if let Some(&i) = self.index.get(name) {
            return Err(Error::at(
                ErrorKind::Declaration,
                self.inputs[i].0.span.clone(),
                format!("`{name}` is defined in terms of itself"),
            )
            .with_label(format!("`{name}` is used in its own definition")));
        }
        self.defs.push((name.to_string(), id));
        self.def_index.insert(name.to_string(), (id, span));
        Ok(id)
    }

    fn push(&mut self, node: Math, eye: Option<usize>, shape: IShape) -> usize {
        let key = format!("{node:?}{eye:?}");
        if let Some(&i) = self.memo.get(&key) {
            return i;
        }
        self.nodes.push(PreNode {
            node,
            eye,
            span: None,
        });
        self.shapes.push(shape);
        self.memo.insert(key, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn id(i: usize) -> egg::Id {
        egg::Id::from(i)
    }

    fn name(&mut self, name: &str, span: &Span) -> Result<usize> {
        if let Some(&(id, _)) = self.def_index.get(name) {
            return Ok(id);
        }
        if self.dim_names.contains_key(name) && !self.index.contains_key(name) {
            return Err(Error::at(
                ErrorKind::UnknownName,
                span.clone(),
                format!("`{name}` is a dimension, not a value"),
            )
            .with_label("dimensions can only appear in declarations"));
        }
        let input = match self.index.get(name) {
            Some(&i) => i,
            None if name == "I" => {
                let d = self.fresh();
                return Ok(self.push(
                    Math::Var(Symbol::from("I")),
                    Some(d),
                    Sh { rows: d, cols: d },
                ));
            }
            None => {
                let one = self.u.one();
                let shape = if is_greek(name) {
                    Sh {
                        rows: one,
                        cols: one,
                    }
                } else if name.chars().next().is_some_and(|c| c.is_uppercase()) {
                    Sh {
                        rows: self.fresh(),
                        cols: self.fresh(),
                    }
                } else {
                    Sh {
                        rows: self.fresh(),
                        cols: one,
                    }
                };
                self.add_input(name, span.clone(), shape, Structure::General, false)
            }
        };
        let shape = self.inputs[input].1.clone();
        let i = self.push(Math::Var(Symbol::from(name)), None, shape);
        self.nodes[i].span.get_or_insert_with(|| span.clone());
        Ok(i)
    }

    fn expr(&mut self, e: &Expr) -> Result<usize> {
        crate::stack::deep(|| self.expr_deep(e))
    }

    fn expr_deep(&mut self, e: &Expr) -> Result<usize> {
        match &e.kind {
            ExprKind::Num(r) => {
                let one = self.u.one();
                Ok(self.push(
                    Math::Num(*r),
                    None,
                    Sh {
                        rows: one,
                        cols: one,
                    },
                ))
            }
            ExprKind::Name(n) => self.name(n, &e.span),
            ExprKind::Neg(a) => {
                let a = self.expr(a)?;
                self.op(Math::Neg(Self::id(a)), &[a], e, &[])
            }
            ExprKind::Transpose(a) => {
                let a = self.expr(a)?;
                self.op(Math::Transpose(Self::id(a)), &[a], e, &[])
            }
            ExprKind::Inverse(x) => {
                let a = self.expr(x)?;
                self.op(Math::Inv(Self::id(a)), &[a], e, &[x.as_ref()])
            }
            ExprKind::Binary(op, x, y) => self.binary(*op, x, y, e),
            ExprKind::Call(f, fspan, args) => self.call(f, fspan, args, e),
        }
    }

    fn binary(&mut self, op: BinOp, x: &Expr, y: &Expr, e: &Expr) -> Result<usize> {
        if matches!(op, BinOp::Div | BinOp::EDiv)
            && matches!(&y.kind, ExprKind::Num(r) if *r == crate::rational::Rational::ZERO)
        {
            return Err(
                Error::at(ErrorKind::Domain, y.span.clone(), "division by zero")
                    .with_label("this divisor is 0"),
            );
        }
        let a = self.expr(x)?;
        if op == BinOp::Pow && self.is_matrix(a) {
            return self.matrix_power(a, x, y, e);
        }
        let b = self.expr(y)?;
        let (ia, ib) = (Self::id(a), Self::id(b));
        let node = match op {
            BinOp::Add => Math::Add([ia, ib]),
            BinOp::Sub => {
                let n = self.op(Math::Neg(ib), &[b], y, &[])?;
                return self.op(Math::Add([ia, Self::id(n)]), &[a, n], e, &[x, y]);
            }
            BinOp::Mul => Math::Mul([ia, ib]),
            BinOp::Hadamard => Math::Hadamard([ia, ib]),
            BinOp::Div => Math::Div([ia, ib]),
            BinOp::EDiv => Math::EDiv([ia, ib]),
            BinOp::Pow => Math::Pow([ia, ib]),
            BinOp::EPow => Math::EPow([ia, ib]),
        };
        self.op(node, &[a, b], e, &[x, y])
    }

    /// `I(n)`: the identity of a size given by a dimension name or a number (what the
    /// ASCII output writes where nothing around an identity fixes its size).
    fn sized_identity(&mut self, args: &[Expr], e: &Expr) -> Result<usize> {
        let d = match args {
            [a] => match &a.kind {
                ExprKind::Name(n) if self.dim_names.contains_key(n) => {
                    Some(self.dim(&DimSpec::Named(n.clone())))
                }
                ExprKind::Num(r) if r.is_integer() && r.numer() >= 1 => {
                    let n = u64::try_from(r.numer()).ok();
                    n.map(|n| self.dim(&DimSpec::Fixed(n)))
                }
                _ => None,
            },
            _ => None,
        };
        let Some(d) = d else {
            return Err(Error::at(
                ErrorKind::Arity,
                e.span.clone(),
                "`I(...)` takes one dimension: a name declared as a size, or a number",
            )
            .with_label("for example `I(n)` or `I(3)`"));
        };
        Ok(self.push(
            Math::Var(Symbol::from("I")),
            Some(d),
            Sh { rows: d, cols: d },
        ))
    }

    /// True when `a` is known not to be a scalar (an undeclared name whose shape is
    /// still open counts as a scalar, as it always has: `x^2`).
    fn is_matrix(&mut self, a: usize) -> bool {
        let s = self.shapes[a].clone();
        let known = |u: &mut Unifier, d: usize| u.value(d).is_some();
        let open = !known(&mut self.u, s.rows) && !known(&mut self.u, s.cols);
        let scalar = self.u.is_one(&s.rows) && self.u.is_one(&s.cols);
        !(open || scalar)
    }

    /// `A^k` of a square matrix and an integer `k`: `A^0` is `I`, `A^1` is `A`,
    /// `A^-1` is `inv(A)`, `A^-k` is `inv(A)^k`.
    fn matrix_power(&mut self, a: usize, x: &Expr, y: &Expr, e: &Expr) -> Result<usize> {
        let Some(k) = integer_literal(y) else {
            let d0 = self.describe(&self.shapes[a].clone());
            return Err(Error::at(
                ErrorKind::Shape,
                y.span.clone(),
                format!(
                    "{}: {} is {d0}, and a matrix power needs an integer exponent, not {}",
                    short(&self.src[e.span.clone()]),
                    short(&self.src[x.span.clone()]),
                    short(&self.src[y.span.clone()])
                ),
            )
            .with_label("not an integer; use .^ for an elementwise power"));
        };
        let square = Sh {
            rows: self.shapes[a].rows,
            cols: self.shapes[a].rows,
        };
        if !self.u.unify(&self.shapes[a].cols, &self.shapes[a].rows) {
            // Not square: the message of a scalar power, which points to `.^`.
            let shapes = [self.shapes[a].clone()];
            let node = Math::Pow([Self::id(a); 2]);
            return Err(self.mismatch(&node, Mismatch::Scalar(0), e, &[x], &shapes));
        }
        if k == 0 {
            let d = square.rows;
            return Ok(self.push(Math::Var(Symbol::from("I")), Some(d), square));
        }
        let base = if k < 0 {
            self.op(Math::Inv(Self::id(a)), &[a], e, &[x])?
        } else {
            a
        };
        let m = k.unsigned_abs();
        if m == 1 {
            return Ok(base);
        }
        let one = self.u.one();
        let scalar = Sh {
            rows: one,
            cols: one,
        };
        let n = self.push(Math::Num(Rational::int(m as i64)), None, scalar);
        self.op(
            Math::MatPow([Self::id(base), Self::id(n)]),
            &[base, n],
            e,
            &[x, y],
        )
    }

    fn call(&mut self, f: &str, fspan: &Span, args: &[Expr], e: &Expr) -> Result<usize> {
        if f == "I" {
            return self.sized_identity(args, e);
        }
        let known = f == "diag" || ops::function(f).is_some();
        if !known {
            let label = match suggest(f) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "not a function of the language".to_string(),
            };
            return Err(Error::at(
                ErrorKind::UnknownFunction,
                fspan.clone(),
                format!("unknown function `{f}`"),
            )
            .with_label(label));
        }
        if args.len() != 1 {
            return Err(Error::at(
                ErrorKind::Arity,
                e.span.clone(),
                format!("`{f}` takes 1 argument but was given {}", args.len()),
            ));
        }
        let x = &args[0];
        if f == "log"
            && let ExprKind::Call(g, _, inner) = &x.kind
            && g == "det"
            && inner.len() == 1
        {
            let a = self.expr(&inner[0])?;
            return self.op(Math::LogDet(Self::id(a)), &[a], e, &[&inner[0]]);
        }
        let a = self.expr(x)?;
        let node = if f == "diag" {
            let s = self.shapes[a].clone();
            if self.u.is_one(&s.cols) {
                Math::DiagM(Self::id(a))
            } else {
                Math::DiagV(Self::id(a))
            }
        } else {
            ops::function(f)
                .and_then(|p| p.node(&[Self::id(a)]))
                .ok_or_else(|| Error::new(ErrorKind::Internal, "function table"))?
        };
        self.op(node, &[a], e, &[x])
    }

    fn op(&mut self, node: Math, args: &[usize], e: &Expr, operands: &[&Expr]) -> Result<usize> {
        let shapes: Vec<IShape> = args.iter().map(|&a| self.shapes[a].clone()).collect();
        match ops::shape_rule(&mut self.u, &node, &shapes) {
            Ok(s) => {
                let i = self.push(node, None, s);
                self.nodes[i].span.get_or_insert_with(|| e.span.clone());
                Ok(i)
            }
            Err(m) => Err(self.mismatch(&node, m, e, operands, &shapes)),
        }
    }

    fn describe(&mut self, s: &IShape) -> String {
        let (r, c) = (self.u.label(s.rows), self.u.label(s.cols));
        if self.u.is_one(&s.rows) && self.u.is_one(&s.cols) {
            "a scalar".to_string()
        } else {
            format!("{r}×{c}")
        }
    }

    fn mismatch(
        &mut self,
        node: &Math,
        m: Mismatch,
        e: &Expr,
        operands: &[&Expr],
        shapes: &[IShape],
    ) -> Error {
        let whole = short(&self.src[e.span.clone()]);
        let text = |i: usize| {
            operands
                .get(i)
                .map(|o| short(&self.src[o.span.clone()]))
                .unwrap_or_default()
        };
        let (t0, t1) = (text(0), text(1));
        let d0 = shapes.first().map(|s| self.describe(s)).unwrap_or_default();
        let d1 = shapes.get(1).map(|s| self.describe(s)).unwrap_or_default();
        let fname = node.to_string();
        let (msg, label) = match (m, node) {
            (Mismatch::Inner, _) => {
                let rows = self.u.label(shapes[1].rows);
                (
                    format!("{whole}: {t0} is {d0} but {t1} has {rows} rows"),
                    "the inner dimensions of this product differ".to_string(),
                )
            }
            (Mismatch::Same, _) => (
                format!("{whole}: {t0} is {d0} but {t1} is {d1}"),
                "the shapes must match, or one side be a scalar".to_string(),
            ),
            (Mismatch::Scalar(0), Math::Pow(_)) => (
                format!("{whole}: ^ raises a scalar to a power, but {t0} is {d0}"),
                "use .^ for an elementwise power".to_string(),
            ),
            (Mismatch::Scalar(_), Math::Div(_)) => (
                format!("{whole}: {t1} is {d1}, and / divides by a scalar"),
                "use ./ for elementwise division".to_string(),
            ),
            (Mismatch::Scalar(_), _) => (
                format!("{whole}: the exponent {t1} is {d1}, not a scalar"),
                "here".to_string(),
            ),
            (Mismatch::Square(_), _) => {
                let f = if matches!(node, Math::Inv(_)) {
                    "the inverse"
                } else if matches!(node, Math::MatPow(_)) {
                    "a matrix power"
                } else {
                    fname.as_str()
                };
                (
                    format!("{whole}: {f} needs a square matrix, but {t0} is {d0}"),
                    "not square".to_string(),
                )
            }
            (Mismatch::Vector(_), _) => {
                let f = if matches!(node, Math::DiagM(_) | Math::DiagV(_)) {
                    "diag"
                } else {
                    fname.as_str()
                };
                (
                    format!("{whole}: {f} needs a column vector, but {t0} is {d0}"),
                    "not a column vector".to_string(),
                )
            }
        };
        Error::at(ErrorKind::Shape, e.span.clone(), msg).with_label(label)
    }

    fn resolve(&mut self, d: usize) -> Dim {
        match self.u.value(d) {
            Some(DimVal::Fixed(n) | DimVal::Data(n)) => Dim::Fixed(n),
            Some(DimVal::Named(s)) => Dim::Sym(Symbol::from(s)),
            None => Dim::Sym(Symbol::from(self.u.label(d))),
        }
    }

    fn resolve_shape(&mut self, s: &IShape) -> Shape {
        Shape::new(self.resolve(s.rows), self.resolve(s.cols))
    }

    fn finish(mut self, objective: usize, objective_name: Option<String>) -> Result<Model> {
        let mut vars = HashMap::new();
        let mut inputs = Vec::new();
        let taken: Vec<(Input, IShape)> = std::mem::take(&mut self.inputs);
        for (mut input, sh) in taken {
            input.shape = self.resolve_shape(&sh);
            vars.insert(Symbol::from(input.name.as_str()), input.shape.clone());
            inputs.push(input);
        }
        let mut graph = crate::ops::graph(vars);
        let mut map = Vec::with_capacity(self.nodes.len());
        let nodes = std::mem::take(&mut self.nodes);
        let mut spans: Vec<Option<Span>> = Vec::new();
        for pre in nodes {
            let id = if let Some(d) = pre.eye {
                let dim = self.resolve(d);
                graph.eye(dim)?
            } else {
                let mut node = pre.node.clone();
                for c in egg::Language::children_mut(&mut node) {
                    *c = map[usize::from(*c)];
                }
                graph.add(node)?
            };
            if spans.len() <= usize::from(id) {
                spans.resize(usize::from(id) + 1, None);
            }
            if spans[usize::from(id)].is_none() {
                spans[usize::from(id)] = pre.span;
            }
            map.push(id);
        }
        spans.resize(graph.len(), None);
        let defs = self
            .defs
            .iter()
            .map(|(n, i)| (n.clone(), map[*i]))
            .collect();
        Ok(Model {
            objective: map[objective],
            graph,
            objective_name,
            inputs,
            defs,
            source: self.src.to_string(),
            spans,
        })
    }
}

/// The closest function name, if one is close.
fn suggest(f: &str) -> Option<&'static str> {
    let lower = f.to_lowercase();
    let alias = match lower.as_str() {
        "trace" => Some("tr"),
        "transpose" | "t" => None,
        "ln" => Some("log"),
        "inverse" => Some("inv"),
        "lse" => Some("logsumexp"),
        _ => None,
    };
    alias.or_else(|| {
        ops::function_names()
            .into_iter()
            .map(|n| (strsim::levenshtein(&lower, n), n))
            .filter(|(d, n)| *d <= 2 && *d < n.chars().count())
            .min()
            .map(|(_, n)| n)
    })
}

/// The integer an exponent spells (`3`, `-1`, `(2)`), if it is one.
fn integer_literal(e: &Expr) -> Option<i64> {
    match &e.kind {
        ExprKind::Num(r) if r.is_integer() => i64::try_from(r.numer()).ok(),
        ExprKind::Neg(x) => integer_literal(x).and_then(i64::checked_neg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::DimNames;

    /// The names come in order, skip the declared ones, and end in `n?`.
    #[test]
    fn dimension_names() {
        let mut names = DimNames {
            declared: vec!["m".into(), "n2".into()],
            next: 0,
        };
        let taken: Vec<String> = (0..110).map(|_| names.take()).collect();
        assert_eq!(taken[..4], ["n", "p", "q", "k"]);
        assert_eq!(taken[8..11], ["d", "n1", "n3"]);
        assert_eq!(taken[106], "n99");
        assert_eq!(taken[107..], ["n?", "n?", "n?"]);
    }
}
