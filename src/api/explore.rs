//! `mpscript explore FILE`: run a program many times under the controlled
//! scheduler (`runtime/explore`), one schedule each, and sum up what came
//! out. Each run is a whole program run in its own process — `mpscript
//! replay --schedule S FILE` — so nothing of one run (processes, shared
//! memory, files it holds open) can reach the next, and whatever a run
//! leaves is reaped by its own main process before the explorer goes on.
//!
//! An outcome is what a user sees: standard output and exit code. For each
//! distinct one the report gives how many runs ended so, the schedule of
//! the first of them (to `replay` it) and, when it failed, its diagnostic.

use crate::runtime::explore::{Schedule, STEPS_ENV};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

/// What `explore` was asked to do.
#[derive(Clone, Debug)]
pub struct Explorer {
    /// The `mpscript` binary that runs each schedule (`replay`).
    pub bin: PathBuf,
    pub file: String,
    pub args: Vec<String>,
    pub runs: u32,
    pub depth: u32,
    /// Seed of the whole exploration (random when not given).
    pub seed: Option<u64>,
    /// Limit on one run, in seconds (a run past it is a failure).
    pub timeout: f64,
    pub max_procs: Option<usize>,
}

/// Change points of the first run are drawn from this many steps; later
/// runs use the most steps a run has taken so far.
const FIRST_K: u64 = 100;

struct Outcome {
    stdout: String,
    code: Option<i32>,
    stderr: String,
    schedule: Schedule,
    runs: u32,
}

impl Outcome {
    fn failed(&self) -> bool {
        self.code != Some(0)
    }

    fn how(&self) -> String {
        match self.code {
            Some(0) => "exit code 0".into(),
            Some(3) => "exit code 3: deadlock (failed)".into(),
            Some(124) => "exit code 124: the run took too long (failed)".into(),
            Some(c) => format!("exit code {c} (failed)"),
            None => "killed by a signal (failed)".into(),
        }
    }
}

impl Explorer {
    /// Explore; the exit code: 0 when every run succeeded, 1 when any
    /// failed, 2 when the runs could not be made.
    pub fn run(&self) -> i32 {
        let seed = self.seed.unwrap_or_else(random_seed);
        let mut rng = fastrand::Rng::with_seed(seed);
        let Some(steps) = StepsFile::new() else {
            crate::Engine::eprint(&format!(
                "mpscript: cannot make a temporary file: {}\n",
                std::io::Error::last_os_error()
            ));
            return 2;
        };
        let bar = Progress::new(self.runs);
        let started = Instant::now();
        let mut outcomes: Vec<Outcome> = Vec::new();
        let mut k = FIRST_K;
        for i in 0..self.runs {
            bar.show(i);
            let schedule = Schedule { seed: rng.u64(..), depth: self.depth, k };
            steps.clear();
            let out = match self.command(&schedule).env(STEPS_ENV, steps.path()).output() {
                Ok(out) => out,
                Err(e) => {
                    bar.clear();
                    crate::Engine::eprint(&format!("mpscript: cannot run `{}`: {e}\n", self.bin.display()));
                    return 2;
                }
            };
            if let Some(steps) = steps.read() {
                // The first run's count replaces the guess; after that k only grows.
                k = if i == 0 { steps.max(1) } else { k.max(steps) };
            }
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let code = out.status.code();
            match outcomes.iter_mut().find(|o| o.stdout == stdout && o.code == code) {
                Some(o) => o.runs += 1,
                None => outcomes.push(Outcome {
                    stdout,
                    code,
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                    schedule,
                    runs: 1,
                }),
            }
        }
        bar.clear();
        let _ = crate::runtime::output::write_all(
            1,
            self.report(&outcomes, seed, started.elapsed().as_secs_f64()).as_bytes(),
        );
        i32::from(outcomes.iter().any(Outcome::failed))
    }

    fn command(&self, schedule: &Schedule) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(["replay", "--schedule", &schedule.to_string(), "--timeout", &self.timeout.to_string()]);
        if let Some(n) = self.max_procs {
            c.args(["--max-procs", &n.to_string()]);
        }
        c.arg(&self.file).args(&self.args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c
    }

    fn report(&self, outcomes: &[Outcome], seed: u64, secs: f64) -> String {
        let failed: u32 = outcomes.iter().filter(|o| o.failed()).map(|o| o.runs).sum();
        let mut text = format!(
            "explored {}: {} run{} in {secs:.1} s (depth {}, seed {seed}), {} distinct outcome{}, {failed} run{} failed\n",
            self.file,
            self.runs,
            plural(self.runs as usize),
            self.depth,
            outcomes.len(),
            plural(outcomes.len()),
            plural(failed as usize),
        );
        // Failures first, then by how often; ties keep the order found.
        let mut order: Vec<&Outcome> = outcomes.iter().collect();
        order.sort_by_key(|o| (!o.failed(), std::cmp::Reverse(o.runs)));
        for (n, o) in order.iter().enumerate() {
            text.push_str(&format!("\noutcome {}: {} of {} runs, {}\n", n + 1, o.runs, self.runs, o.how()));
            text.push_str(&format!("  schedule: {}\n", o.schedule));
            text.push_str("  output:\n");
            text.push_str(&indented(&o.stdout));
            if o.failed() && !o.stderr.trim().is_empty() {
                text.push_str("  diagnostic:\n");
                text.push_str(&indented(&o.stderr));
            }
        }
        if let Some(o) = order.first() {
            text.push_str(&format!("\nreplay one: mpscript replay --schedule {} {}\n", o.schedule, self.file));
        }
        text
    }
}

fn indented(text: &str) -> String {
    if text.is_empty() {
        return "    (nothing)\n".into();
    }
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn random_seed() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    (t.as_nanos() as u64 ^ (std::process::id() as u64) << 32) % 1_000_000_000
}

/// Where each run writes how many steps it took: a file with no name
/// (`O_TMPFILE`), reached by the runs as `/proc/PID/fd/N`, so nothing is
/// left on disk however the explorer ends.
struct StepsFile(std::fs::File);

impl StepsFile {
    fn new() -> Option<StepsFile> {
        use std::os::fd::FromRawFd;
        let dir = std::ffi::CString::new(std::env::temp_dir().into_os_string().into_encoded_bytes()).ok()?;
        // SAFETY: open(2) on a valid C string; the fd is owned by the File below.
        let fd = unsafe { libc::open(dir.as_ptr(), libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC, 0o600) };
        // SAFETY: a fresh fd that nothing else owns.
        (fd >= 0).then(|| StepsFile(unsafe { std::fs::File::from_raw_fd(fd) }))
    }

    fn path(&self) -> String {
        use std::os::fd::AsRawFd;
        format!("/proc/{}/fd/{}", std::process::id(), self.0.as_raw_fd())
    }

    fn clear(&self) {
        let _ = self.0.set_len(0);
    }

    fn read(&self) -> Option<u64> {
        use std::io::{Read, Seek};
        let mut f = &self.0;
        let mut text = String::new();
        f.seek(std::io::SeekFrom::Start(0)).ok()?;
        f.read_to_string(&mut text).ok()?;
        text.trim().parse().ok()
    }
}

/// A progress bar on stderr, only when it is a terminal (never in CI or a pipe).
struct Progress {
    total: u32,
    on: bool,
}

impl Progress {
    fn new(total: u32) -> Progress {
        let on = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() && total > 1;
        Progress { total, on }
    }

    fn show(&self, done: u32) {
        if !self.on {
            return;
        }
        const WIDTH: u32 = 30;
        let filled = (done * WIDTH / self.total.max(1)) as usize;
        let bar = format!("{}{}", "#".repeat(filled), " ".repeat(WIDTH as usize - filled));
        let _ = write!(std::io::stderr(), "\rexploring [{bar}] {done}/{}", self.total);
    }

    fn clear(&self) {
        if self.on {
            let _ = write!(std::io::stderr(), "\r{}\r", " ".repeat(60));
        }
    }
}
