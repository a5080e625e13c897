//! Command-line types (MODEL.md section 9). Parsing only: `app` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// telur plans laying-hen programmes for poor families in Indonesia: it simulates KUBE
/// flocks, regional egg markets and household incomes week by week, and compares where
/// to place the next KUBEs.
#[derive(Debug, Parser)]
#[command(name = "telur", version, about, long_about = None, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run a scenario (default: the embedded kube-bekerja scenario) and write its outputs.
    Run(RunArgs),
    /// Which uncertain parameters move the results: Morris screening or Sobol indices of
    /// each placement's metrics over the parameters' plausible ranges (ranges.toml and the
    /// scenario's [uncertainty] table).
    Sensitivity(SensitivityArgs),
    /// Where the next N KUBE should go: the allocation of a budget over regions that does
    /// best on an objective for one placement's design (greedy steps, local search, the
    /// best few compared again), then a full run of the scenario's placements beside it.
    Optimize(OptimizeArgs),
    /// Merge the shard folders of one run (`telur run --shard I/N`) or analysis (`telur
    /// sensitivity --shard I/N`) into the outputs a single one would have written, byte
    /// for byte.
    Merge(MergeArgs),
    /// Write a Slurm job array that runs the shards of a scenario's run (or, with
    /// --sensitivity, of an analysis) and a merge job that waits for them; prints the
    /// command that submits both.
    Slurm(SlurmArgs),
    /// Validate a scenario and show every resolved value and where it came from; runs nothing.
    Check {
        /// Scenario file (TOML).
        scenario: PathBuf,
    },
    /// Check an output folder: its files against its manifest, then a fresh run of its
    /// `inputs/scenario.toml` against the same hashes. Exit 0 when identical, 1 otherwise.
    Verify {
        /// A folder `telur run` wrote.
        dir: PathBuf,
        /// Worker threads for the re-run [default: all cores].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
        threads: Option<u16>,
    },
    /// Redraw the charts and report.html of an output folder from its files, without
    /// simulating again.
    Report {
        /// A folder `telur run` wrote.
        dir: PathBuf,
    },
    /// Print embedded data as CSV on stdout (its sources go to stderr).
    Data {
        /// Which table: the regions or the breed curves.
        what: DataKind,
        /// Only this breed (layer-brown or kub), in the CSV format a scenario's `breed` accepts.
        #[arg(long)]
        breed: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DataKind {
    Regions,
    Breeds,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ModeArg {
    Deterministic,
    Stochastic,
}

impl From<ModeArg> for telur::sim::Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Deterministic => telur::sim::Mode::Deterministic,
            ModeArg::Stochastic => telur::sim::Mode::Stochastic,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Scenario file (TOML). Without it, the embedded default scenario runs.
    pub(crate) scenario: Option<PathBuf>,
    /// Output folder [default: output/<scenario name>]. A folder an earlier run wrote is
    /// replaced; any other non-empty folder is refused.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Override the scenario's mode.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Override the horizon, in weeks.
    #[arg(long, value_name = "N")]
    pub(crate) weeks: Option<u32>,
    /// Override the number of Monte Carlo replicates (stochastic mode).
    #[arg(long, value_name = "N")]
    pub(crate) replicates: Option<u32>,
    #[command(flatten)]
    pub(crate) common: Common,
    /// Draw the uncertain parameters (ranges.toml, narrowed or widened by the scenario's
    /// [uncertainty] table) for every replicate, so intervals include what we do not know.
    #[arg(long)]
    pub(crate) uncertainty: bool,
    /// Also write every replicate's results (not only means and quantiles) as Parquet
    /// under replicates/: placement, replicate, [week, region,] metric, value.
    #[arg(long)]
    pub(crate) keep_replicates: bool,
    /// Compute only the I-th of N slices of the work (0 <= I < N) into a shard folder,
    /// for `telur merge`; `auto` takes I and N from SLURM_ARRAY_TASK_ID and
    /// SLURM_ARRAY_TASK_COUNT, or from JOB_COMPLETION_INDEX with --shards N (Kubernetes).
    #[arg(long, value_name = "I/N|auto")]
    pub(crate) shard: Option<String>,
    /// The number of shards with `--shard auto` under Kubernetes (an Indexed Job's
    /// completions).
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) shards: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum MethodArg {
    /// Elementary effects (mu*, sigma): screens every parameter cheaply.
    Morris,
    /// First-order and total Sobol indices (Saltelli sampling): for the few that matter.
    Sobol,
}

#[derive(Debug, Args)]
pub(crate) struct SensitivityArgs {
    /// Scenario file (TOML). Without it, the embedded default scenario.
    pub(crate) scenario: Option<PathBuf>,
    /// The analysis.
    #[arg(long, value_enum, default_value = "morris")]
    pub(crate) method: MethodArg,
    /// Morris trajectories, or Sobol base rows [default: 10 for morris, 256 for sobol].
    #[arg(long, value_name = "N")]
    pub(crate) samples: Option<usize>,
    /// Metrics to analyse, comma-separated summary.csv names, or
    /// graduation_caused_gap_to_best [default: graduation_attributable_share,
    /// benefit_cost_ratio, kubes_operating_end_share, deficit_reduction_kg and the gap].
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub(crate) metrics: Option<Vec<String>>,
    /// Parameters to move, comma-separated as table.key [default: every uncertain one].
    #[arg(long, value_name = "P,Q,..", value_delimiter = ',')]
    pub(crate) parameters: Option<Vec<String>>,
    /// Override the scenario's mode.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Replicates averaged at every sample point [default: 20, or 1 in deterministic mode].
    #[arg(long, value_name = "N")]
    pub(crate) replicates: Option<u32>,
    #[command(flatten)]
    pub(crate) common: Common,
    /// Output folder [default: output/<scenario name>-sensitivity].
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Compute only the I-th of N slices of the sample points into a shard folder, for
    /// `telur merge`; `auto` as for `telur run`.
    #[arg(long, value_name = "I/N|auto")]
    pub(crate) shard: Option<String>,
    /// The number of shards with `--shard auto` under Kubernetes.
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) shards: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct OptimizeArgs {
    /// Scenario file (TOML). Without it, the embedded default scenario. Its [optimize]
    /// table sets every option below; flags win.
    pub(crate) scenario: Option<PathBuf>,
    /// KUBE to place [default: as many as the design placement has].
    #[arg(long, value_name = "N", conflicts_with = "budget_rp",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) budget_kubes: Option<u32>,
    /// Rupiah to spend: as many KUBE as it buys at the design's programme cost per KUBE.
    #[arg(long, value_name = "RP")]
    pub(crate) budget_rp: Option<f64>,
    /// What to maximise: a summary metric where more is better [default:
    /// attributable_graduates], or weighted metrics, each divided by its value under the
    /// design placement's own allocation: attributable_graduates=0.7,deficit_reduction_kg=0.3.
    #[arg(long, value_name = "METRIC")]
    pub(crate) objective: Option<String>,
    /// The placement whose design (breed, flock, kube, program, start_week, rollout_weeks)
    /// the KUBE get [default: the first].
    #[arg(long, value_name = "PLACEMENT")]
    pub(crate) design: Option<String>,
    /// Regions the KUBE may go to, comma-separated names [default: every region].
    #[arg(long, value_name = "A,B,..", value_delimiter = ',')]
    pub(crate) regions: Option<Vec<String>>,
    /// KUBE per step of the search [default: the budget over 30, at least 1].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) step_kubes: Option<u32>,
    /// Override the scenario's mode.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Replicates per evaluation of the search [default: 50, at most the scenario's; the
    /// full run at the end uses the scenario's].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) replicates: Option<u32>,
    #[command(flatten)]
    pub(crate) common: Common,
    /// Output folder [default: output/<scenario name>-optimized].
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

/// Options every command that simulates takes.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Override the random seed (0 to 9223372036854775807, what a scenario file can hold).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub(crate) seed: Option<u64>,
    /// Worker threads [default: all cores]. Outputs are identical for any number.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) threads: Option<u16>,
    /// Print nothing on stderr (no progress).
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct MergeArgs {
    /// The shard folders, every index once (a glob such as shards/shard-* will do).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub(crate) shards: Vec<PathBuf>,
    /// Output folder, as `telur run --out` would have written it.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) threads: Option<u16>,
    /// Print nothing on stderr.
    #[arg(long)]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SlurmArgs {
    /// Scenario file (TOML). Without it, the embedded default scenario.
    pub(crate) scenario: Option<PathBuf>,
    /// Shards: the job array's size.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100000))]
    pub(crate) shards: u32,
    /// Slurm partition [default: the cluster's default].
    #[arg(long, value_name = "P")]
    pub(crate) partition: Option<String>,
    /// Time limit of each task, as sbatch takes it (like 01:00:00) [default: 01:00:00].
    #[arg(long, value_name = "T", default_value = "01:00:00")]
    pub(crate) time: String,
    /// CPUs per task (each shard's threads) [default: 2].
    #[arg(long, value_name = "C", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) cpus: u16,
    /// Override the scenario's mode.
    #[arg(long, value_enum)]
    pub(crate) mode: Option<ModeArg>,
    /// Override the horizon, in weeks.
    #[arg(long, value_name = "N")]
    pub(crate) weeks: Option<u32>,
    /// Override the number of replicates.
    #[arg(long, value_name = "N")]
    pub(crate) replicates: Option<u32>,
    /// Override the random seed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    pub(crate) seed: Option<u64>,
    /// Draw the uncertain parameters for every replicate (as `telur run --uncertainty`).
    #[arg(long)]
    pub(crate) uncertainty: bool,
    /// Shard a sensitivity analysis instead of a run: `telur sensitivity`'s flags as one
    /// string, such as --sensitivity='--method sobol --samples 512'.
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub(crate) sensitivity: Option<String>,
    /// Folder for the scripts, the shards (shards/), the logs (logs/) and the merged
    /// outputs (result/).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}
