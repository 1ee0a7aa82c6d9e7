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
