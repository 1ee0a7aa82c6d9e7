//! Transposes moved onto names in the second derivatives, where that reads as the
//! textbook writes it and is no longer: `(−X⁻¹dXX⁻¹)ᵀ` is `−X⁻ᵀdXᵀX⁻ᵀ` (the
//! Hessian of `logdet(X)`), `(−SX⁻¹)ᵀ` is `−X⁻ᵀSᵀ`. A transpose is pushed through
//! negations, scalings and products down to names, inverses of names (`X⁻ᵀ`) and
//! other transposes (which cancel); it stays outside a sum, and outside a product
//! of more than two plain names, where `(ABC)ᵀ` is as short as `CᵀBᵀAᵀ`.

use std::collections::HashMap;

use egg::Symbol;

use crate::ir::{Math, Shape};
use crate::simplify::cse::Tree;

/// The most plain names (`A` that becomes `Aᵀ`) a pushed transpose may mark.
const MAX_MARKS: usize = 2;

/// `t` with its transposes moved onto names where that reads better; `shapes` gives
/// the shapes of its symbols (to tell scalars).
pub fn transposes(t: &Tree, shapes: &HashMap<Symbol, Shape>) -> Tree {
    crate::stack::deep(|| go(t, shapes))
}

fn go(t: &Tree, shapes: &HashMap<Symbol, Shape>) -> Tree {
    if let (Math::Transpose(_), [a]) = (&t.op, t.kids.as_slice()) {
        let inner = go(a, shapes);
        if let Some((pushed, marks)) = pushed(&inner, shapes)
            && marks <= MAX_MARKS
        {
            return pushed;
        }
        return Tree::node(t.op.clone(), vec![inner]);
    }
    Tree::node(t.op.clone(), t.kids.iter().map(|k| go(k, shapes)).collect())
}

/// `tᵀ` written with transposes on names only, and how many plain names it marks;
/// `None` where a transpose would have to sit on something else.
fn pushed(t: &Tree, shapes: &HashMap<Symbol, Shape>) -> Option<(Tree, usize)> {
    let transpose = |t: &Tree| Tree::node(Math::Transpose(0.into()), vec![t.clone()]);
    match (&t.op, t.kids.as_slice()) {
        (Math::Num(_), _) => Some((t.clone(), 0)),
        (Math::Var(s), _) => match shapes.get(s) {
            Some(sh) if sh.is_scalar() => Some((t.clone(), 0)),
            Some(_) => Some((transpose(t), 1)),
            None => None,
        },
        (Math::Inv(_), [x]) if matches!(x.op, Math::Var(_)) => Some((transpose(t), 0)),
        (Math::Transpose(_), [x]) => Some((x.clone(), 0)),
        (Math::Neg(_), [x]) => {
            let (x, m) = pushed(x, shapes)?;
            Some((Tree::node(t.op.clone(), vec![x]), m))
        }
        (Math::Mul(_), [x, y]) => {
            let scalar = |t: &Tree| is_scalar(t, shapes);
            if scalar(x) {
                let (y, m) = pushed(y, shapes)?;
                Some((Tree::node(t.op.clone(), vec![x.clone(), y]), m))
            } else if scalar(y) {
                let (x, m) = pushed(x, shapes)?;
                Some((Tree::node(t.op.clone(), vec![y.clone(), x]), m))
            } else {
                let (x, mx) = pushed(x, shapes)?;
                let (y, my) = pushed(y, shapes)?;
                Some((Tree::node(t.op.clone(), vec![y, x]), mx + my))
            }
        }
        _ => None,
    }
}

/// True for a tree of scalars only (numbers, scalar symbols, and what scalar
/// functions of matrices give: traces, determinants, norms, sums).
fn is_scalar(t: &Tree, shapes: &HashMap<Symbol, Shape>) -> bool {
    match &t.op {
        Math::Num(_) => true,
        Math::Var(s) => shapes.get(s).is_some_and(Shape::is_scalar),
        Math::Trace(_)
        | Math::Det(_)
        | Math::LogDet(_)
        | Math::Norm(_)
        | Math::Norm2(_)
        | Math::Sum(_)
        | Math::LogSumExp(_) => true,
        Math::Add(_) | Math::Neg(_) | Math::Mul(_) | Math::Div(_) | Math::Pow(_) => {
            t.kids.iter().all(|k| is_scalar(k, shapes))
        }
        Math::Fun(..) | Math::Hadamard(_) | Math::EDiv(_) | Math::EPow(_) => {
            t.kids.iter().all(|k| is_scalar(k, shapes))
        }
        _ => false,
    }
}
