//! Options shared by several commands, and the value parsers that check numbers as clap
//! parses them (one usage error, exit 2, before anything is loaded).

use arbor_lm::GenerationParams;
use clap::Args;

/// A count of at least 1 (`--samples`, `--batch`, `--max-tokens`, `--threads`, …).
pub fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A number in `lo..=hi`.
fn in_range(s: &str, lo: f64, hi: f64) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|e: std::num::ParseFloatError| e.to_string())?;
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be between {lo} and {hi}"))
    }
}

/// A sampling temperature, 0 (greedy) to 100.
pub fn temperature(s: &str) -> Result<f64, String> {
    in_range(s, 0.0, 100.0)
}

/// A probability, 0 to 1.
pub fn probability(s: &str) -> Result<f64, String> {
    in_range(s, 0.0, 1.0)
}

/// A repeat penalty: a positive factor (1 = off).
fn penalty(s: &str) -> Result<f32, String> {
    in_range(s, f64::MIN_POSITIVE, 1e6).map(|v| v as f32)
}

/// Seconds a sample may run, up to an hour.
pub fn seconds(s: &str) -> Result<f64, String> {
    match in_range(s, 0.0, 3600.0)? {
        0.0 => Err("must be more than 0".into()),
        v => Ok(v),
    }
}

/// Sampling options of `arbor generate`, `arbor complete` and `arbor eval run`: declared once,
/// checked by clap as it parses them.
#[derive(Debug, Args)]
pub struct SamplingArgs {
    /// Sampling temperature, 0 (greedy) to 100 (default: 0 for one sample, 0.8 for more).
    #[arg(long, value_parser = temperature)]
    pub temperature: Option<f64>,
    /// Nucleus sampling threshold, 0 to 1 (default: 1, off; `eval run`: 0.95, as the Codex
    /// paper sampled).
    #[arg(long, value_parser = probability)]
    pub top_p: Option<f64>,
    /// Sample among the k most likely tokens (0 = off).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Penalty for repeating recent tokens (1 = off).
    #[arg(long, default_value_t = 1.0, value_parser = penalty)]
    pub repeat_penalty: f32,
    /// Sampler seed: the same seed gives the same output (sample i uses seed + i).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl SamplingArgs {
    /// Generation parameters for `samples` samples of at most `max_tokens` tokens, cut at
    /// `stop`; `top_p` where `--top-p` is not given.
    pub fn params(
        &self,
        samples: usize,
        top_p: f64,
        max_tokens: usize,
        stop: Vec<String>,
    ) -> GenerationParams {
        GenerationParams {
            max_tokens,
            temperature: self
                .temperature
                .unwrap_or(if samples == 1 { 0.0 } else { 0.8 }),
            top_p: self.top_p.unwrap_or(top_p),
            top_k: self.top_k,
            repeat_penalty: self.repeat_penalty,
            seed: self.seed,
            stop,
            n: samples,
            ..GenerationParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        sampling: SamplingArgs,
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
    }

    #[test]
    fn defaults_depend_on_the_sample_count_and_the_command() {
        let cli = parse(&[]).unwrap();
        let one = cli.sampling.params(1, 1.0, 16, Vec::new());
        assert_eq!((one.temperature, one.top_p, one.n), (0.0, 1.0, 1));
        let many = cli.sampling.params(4, 0.95, 16, Vec::new());
        assert_eq!((many.temperature, many.top_p, many.n), (0.8, 0.95, 4));
        let given = parse(&["--temperature", "0.2", "--top-p", "0.5", "--seed", "7"]).unwrap();
        let p = given.sampling.params(4, 0.95, 16, vec!["\n".into()]);
        assert_eq!((p.temperature, p.top_p, p.seed), (0.2, 0.5, 7));
        assert_eq!((p.max_tokens, p.stop.len()), (16, 1));
    }
}

/// How many samples are decoded, and how long each may grow (`eval run`, `solve`).
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// At most this many new tokens per sample.
    #[arg(long, default_value_t = 512, value_parser = at_least_one)]
    pub max_tokens: usize,
    /// Samples decoded together.
    #[arg(long, default_value_t = 8, value_parser = at_least_one)]
    pub batch: usize,
}
