//! Common factors out of sums where that shortens the result: a scalar factor that
//! every term of a sum has (a power of a name, 1/s or α) is written once,
//! `(1/s)a + (1/s)b` as `(a + b)/s`. A table of problems with the form expected;
//! each form agrees with finite differences and the unsimplified adjoint.

#[test]
fn common_factors_come_out_of_sums() {
    // (problem, variable, the printed answer)
    let cases = [
        // Golub & Van Loan §8.1: ((A + Aᵀ)x − 2(xᵀAx/s)x)/s
        (
            "x : n; A : n x n; x'*A*x/(x'*x)",
            "x",
            "∂f/∂x = (Ax + Aᵀx − 2(xᵀAx/s)x)/s\n  where s = xᵀx",
        ),
        // the derivative of a normalised projection: (a − (aᵀx/r²)x)/r
        (
            "x, a : n; a'*x/norm(x)",
            "x",
            "∂f/∂x = (a − (aᵀx/c²)x)/c\n  where c = ‖x‖",
        ),
        // a positive power in common: α(2αx + (A + Aᵀ)x)
        (
            "alpha : scalar; x : n; A : n x n; alpha*x'*A*x + alpha^2*x'*x",
            "x",
            "∂f/∂x = α(2α x + (A + Aᵀ)x)",
        ),
    ];
    for (input, var, want) in cases {
        let g = matgrad::gradient(input, &[var]).expect("derives");
        assert_eq!(g.print(matgrad::Notation::Unicode), want, "{input}");
        assert!(g.derivation.validation.fallback.is_none(), "{input}");
        let r = matgrad::check::check(&g, 3, 5).expect("evaluates");
        assert!(r.ok, "{input}: {}", r.text);
    }
}
