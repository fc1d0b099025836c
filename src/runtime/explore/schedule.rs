//! A schedule: everything a run under the controlled scheduler depends on,
//! as a short string a user can copy (`pct-1f3a9c2e-d3-k120`): the seed of
//! PCT's random stream (priorities, change points, and `rand*` when no
//! `--seed` is given), the depth, and `k`, the step count the change points
//! are drawn from. The same string gives the same interleaving.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub seed: u64,
    pub depth: u32,
    pub k: u64,
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pct-{:x}-d{}-k{}", self.seed, self.depth, self.k)
    }
}

impl std::str::FromStr for Schedule {
    type Err = String;

    fn from_str(s: &str) -> Result<Schedule, String> {
        let bad = || format!("`{s}` is not a schedule (one looks like pct-1f3a9c2e-d3-k120, as `explore` prints it)");
        let mut parts = s.trim().split('-');
        if parts.next() != Some("pct") {
            return Err(bad());
        }
        let seed = parts.next().and_then(|p| u64::from_str_radix(p, 16).ok()).ok_or_else(bad)?;
        let depth = parts.next().and_then(|p| p.strip_prefix('d')?.parse().ok()).ok_or_else(bad)?;
        let k = parts.next().and_then(|p| p.strip_prefix('k')?.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some() || depth == 0 || depth as usize > super::pct::MAX_DEPTH + 1 || k == 0 {
            return Err(bad());
        }
        Ok(Schedule { seed, depth, k })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_as_it_prints() {
        let s = Schedule { seed: 0x1f3a_9c2e, depth: 3, k: 120 };
        assert_eq!(s.to_string(), "pct-1f3a9c2e-d3-k120");
        assert_eq!("pct-1f3a9c2e-d3-k120".parse::<Schedule>(), Ok(s));
        for bad in ["", "pct", "pct-zz-d3-k1", "pct-1-d0-k1", "pct-1-d3-k0", "pct-1-d3-k1-x", "rr-1-d3-k1"] {
            assert!(bad.parse::<Schedule>().is_err(), "{bad}");
        }
    }
}
