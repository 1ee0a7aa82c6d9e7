//! Command-line definitions (clap).

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// As a person writes it: W(xKᵀ + Kxᵀ).
    Unicode,
    /// The input language, which matgrad reads back.
    Ascii,
    /// LaTeX.
    Latex,
    /// One JSON object (see docs/cli.md).
    Json,
}

/// How `--graph` draws the computational graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphKind {
    /// An indented tree for the terminal.
    Text,
    /// Graphviz DOT.
    Dot,
    /// An SVG drawn by matgrad (layered layout).
    Svg,
}

/// Which sweep `--trace` tabulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceMode {
    /// vᵢ and v̇ᵢ for one seed direction.
    Forward,
    /// vᵢ of the forward sweep, then v̄ᵢ of the reverse sweep.
    Reverse,
}

/// What the extraction minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostModel {
    /// The fewest operations, as a person would write it.
    Compact,
    /// The fewest floating-point operations at the sizes of --dims.
    Flops,
}

/// matgrad: symbolic matrix derivatives in closed form.
#[derive(Debug, Parser)]
#[command(name = "matgrad", version, about, long_about = None)]
pub struct Args {
    /// The problem, or `-` to read it from standard input.
    #[arg(
        value_name = "PROBLEM",
        allow_hyphen_values = true,
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub problem: Option<String>,

    /// Read the problem from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Differentiate with respect to this input (repeat for several).
    #[arg(long = "wrt", value_name = "NAME")]
    pub wrt: Vec<String>,

    /// Evaluate at the point in this JSON file (an object from input names to values).
    #[arg(long = "at", value_name = "POINT.json")]
    pub at: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Unicode)]
    pub format: Format,

    /// Also the Hessian (for scalar or vector variables).
    #[arg(long)]
    pub hessian: bool,

    /// The Jacobian of a vector- or matrix-valued objective (a matrix for scalar or
    /// vector variables and objectives, else the directional form J[dV]).
    #[arg(long, conflicts_with = "hessian")]
    pub jacobian: bool,

    /// The vector-Jacobian product Jᵀu for a cotangent NAME of the objective's shape.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["hessian", "jacobian"])]
    pub vjp: Option<String>,

    /// Check the result against finite differences at random points; exit 1 if they disagree.
    #[arg(long)]
    pub check: bool,

    /// Which closed form to extract.
    #[arg(long, value_enum, default_value_t = CostModel::Compact)]
    pub cost: CostModel,

    /// Sizes for --cost flops, e.g. `m=100,n=50`.
    #[arg(long, value_name = "NAME=SIZE,...")]
    pub dims: Option<String>,

    /// Print the gradient as reverse mode produces it, without simplification.
    #[arg(long)]
    pub raw: bool,

    /// Check a proposed gradient (for the single --wrt, or `dX = ...`): exit 0 if right, 1 if wrong.
    #[arg(
        long,
        value_name = "EXPR",
        allow_hyphen_values = true,
        conflicts_with_all = ["at", "hessian", "check", "raw", "cost"]
    )]
    pub claim: Option<String>,

    /// Show the computational graph (paths to the --wrt variables highlighted).
    #[arg(long, value_enum, value_name = "KIND", conflicts_with = "claim")]
    pub graph: Option<GraphKind>,

    /// Show the backward pass step by step (values too with --at).
    #[arg(long, requires = "wrt", conflicts_with = "claim")]
    pub steps: bool,

    /// Tabulate the forward or reverse sweep at the point of --at, four decimals.
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        requires = "at",
        conflicts_with = "claim"
    )]
    pub trace: Option<TraceMode>,

    /// The input whose tangent is 1 in --trace forward (default: the first --wrt).
    #[arg(long, value_name = "NAME", requires = "trace")]
    pub seed: Option<String>,

    /// Show the chain of rewrites from the raw adjoint to the printed form.
    #[arg(long, requires = "wrt", conflicts_with = "claim")]
    pub explain: bool,
}

impl Args {
    /// The process's arguments. The common form, `PROBLEM --wrt NAME ...`, is read
    /// directly: clap describes the whole command before it reads a word, some 7% of
    /// the instructions of a trivial problem's process. Anything else goes to clap
    /// (`tests`: the two agree on every form the direct reading takes).
    pub fn from_env() -> Result<Args, clap::Error> {
        let words: Vec<std::ffi::OsString> = std::env::args_os().collect();
        match Args::direct(&words) {
            Some(args) => Ok(args),
            None => Args::try_parse_from(&words),
        }
    }

    /// `PROBLEM (--wrt NAME)*` after the program's name, every word valid UTF-8, the
    /// problem and the names not empty and not starting with `-`; `None` otherwise.
    fn direct(words: &[std::ffi::OsString]) -> Option<Args> {
        let words: Vec<&str> = words
            .iter()
            .skip(1)
            .map(|w| w.to_str())
            .collect::<Option<_>>()?;
        let plain = |w: &&str| !w.is_empty() && !w.starts_with('-');
        let (problem, rest) = words.split_first()?;
        if !plain(problem) || rest.len() % 2 != 0 {
            return None;
        }
        let mut wrt = Vec::new();
        for pair in rest.chunks(2) {
            if pair[0] != "--wrt" || !plain(&pair[1]) {
                return None;
            }
            wrt.push(pair[1].to_string());
        }
        Some(Args {
            problem: Some(problem.to_string()),
            file: None,
            wrt,
            at: None,
            format: Format::Unicode,
            hessian: false,
            jacobian: false,
            vjp: None,
            check: false,
            cost: CostModel::Compact,
            dims: None,
            raw: false,
            claim: None,
            graph: None,
            steps: false,
            trace: None,
            seed: None,
            explain: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<std::ffi::OsString> {
        std::iter::once("matgrad")
            .chain(args.iter().copied())
            .map(Into::into)
            .collect()
    }

    /// Where the direct reading takes the arguments, clap reads the same; where it
    /// does not, clap reads them (and may refuse them).
    #[test]
    fn direct_reading_agrees_with_clap() {
        let taken: &[&[&str]] = &[
            &["x'*A*x"],
            &["x'*A*x", "--wrt", "x"],
            &["A : p x m; X : m x n; B : n x p; tr(A*X*B)", "--wrt", "X"],
            &["x1, x2 : scalar; x1*x2", "--wrt", "x1", "--wrt", "x2"],
            &["x'*x", "--wrt", "x", "--wrt", "x"],
            &["tr(X\n)\n", "--wrt", "X"],
        ];
        for args in taken {
            let w = words(args);
            let direct = Args::direct(&w).expect("read directly");
            let clap = Args::try_parse_from(&w).expect("clap reads it");
            assert_eq!(format!("{direct:?}"), format!("{clap:?}"), "{args:?}");
        }
        let left: &[&[&str]] = &[
            &[],
            &["-"],
            &["-y'*log(p)", "--wrt", "y"],
            &["--wrt", "x", "x'*x"],
            &["x'*x", "--wrt"],
            &["x'*x", "--wrt=x"],
            &["x'*x", "--wrt", "x", "--hessian"],
            &["x'*x", "--wrt", "-x"],
            &["x'*x", "--wrt", ""],
            &["", "--wrt", "x"],
            &["x'*x", "--format", "json"],
            &["x'*x", "y"],
            &["--help"],
            &["--version"],
        ];
        for args in left {
            assert!(Args::direct(&words(args)).is_none(), "{args:?}");
        }
    }
}
