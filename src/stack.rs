//! Deep recursion without a deep stack: the recursive passes (lowering, printing,
//! trees, the linear pass) call [`deep`] where they recurse, so that long sums and
//! deep expressions work for library callers on small thread stacks too.

/// Runs a step of a recursive pass on a larger stack when the current one runs low.
pub fn deep<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(256 * 1024, 8 * 1024 * 1024, f)
}
