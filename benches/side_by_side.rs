//! Side-by-side benchmark runner: every `benches/<script>.mps` against its
//! CPython twin `benches/<script>.py` (and its Lua 5.4 twin
//! `benches/<script>.lua` where there is one), in one run, on the same machine.
//!
//! Run with `cargo bench` (which builds `target/release/mpscript` first), or
//! `cargo bench -- --quick fib loop`. See `benches/README.md`.
//!
//! Protocol for a benchmark script (both languages): `SCRIPT [REPS [EXTRA...]]`;
//! it does its own timing in-process (start-up excluded), repeats the measured
//! work REPS times (default 5) and prints one line `RESULT <number>` per
//! repetition, in the row's unit. Any other output is ignored.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Whether a smaller or a larger number is the better result.
// `Higher` is for throughput rows (msgs/s, pairs/s, tasks/s) of later issues.
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
}
use Better::{Higher, Lower};

/// One row of the table.
struct Bench {
    /// Row name, shown in the table and matched by filters.
    name: &'static str,
    /// Script stem: runs `benches/<script>.mps` and `benches/<script>.py`.
    script: &'static str,
    /// Unit of the `RESULT` numbers, e.g. `s`, `µs/round trip`, `msgs/s`.
    unit: &'static str,
    better: Better,
    /// Command prefix for both sides, e.g. `["taskset", "-c", "0"]` to pin.
    prefix: &'static [&'static str],
    /// Extra script arguments after REPS (for variants of one script).
    extra: &'static [&'static str],
    /// mpscript options before the script (e.g. `--trace FILE`); CPython runs plain.
    mps_opts: &'static [&'static str],
    /// What is measured (BENCH.md definition).
    desc: &'static str,
    /// A Redis server the row needs (its URL and authkey follow REPS and
    /// the extra arguments), and whether `mpscript worker`s serve pool `bench`.
    redis: Redis,
}

/// What a row needs of Redis; the harness starts it (see `RedisServer`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redis {
    No,
    Server,
    /// Also 2 `mpscript worker … --pool bench --procs 1` processes.
    ServerAndWorkers,
}

impl Bench {
    /// A row whose script has the same name as the row.
    const fn new(name: &'static str, unit: &'static str, better: Better, desc: &'static str) -> Self {
        Bench { name, script: name, unit, better, prefix: &[], extra: &[], mps_opts: &[], desc, redis: Redis::No }
    }
    /// Use `benches/<script>.{mps,py}` instead of the row name.
    #[allow(dead_code)]
    const fn script(self, script: &'static str) -> Self {
        Bench { script, ..self }
    }
    /// Run both sides under a command prefix, e.g. `&["taskset", "-c", "0"]`.
    #[allow(dead_code)]
    const fn prefix(self, prefix: &'static [&'static str]) -> Self {
        Bench { prefix, ..self }
    }
    /// Pass extra arguments to both scripts after REPS.
    #[allow(dead_code)]
    const fn mps_opts(self, mps_opts: &'static [&'static str]) -> Self {
        Bench { mps_opts, ..self }
    }

    const fn extra(self, extra: &'static [&'static str]) -> Self {
        Bench { extra, ..self }
    }
    /// Run with a Redis server of the harness's own (and workers).
    const fn redis(self, redis: Redis) -> Self {
        Bench { redis, ..self }
    }
}

/// THE benchmark table: add a row here plus `benches/<script>.mps` and
/// `benches/<script>.py`. Two-party latency rows come in pairs, e.g.
/// `Bench::new("pipe_pingpong_pinned", "µs/round trip", Lower, "...")
///     .script("pipe_pingpong").prefix(&["taskset", "-c", "0"])`
/// next to the same row named `pipe_pingpong_unpinned` without the prefix.
#[rustfmt::skip] // keep one row per line
const BENCHES: &[Bench] = &[
    Bench::new("fib", "s", Lower, "fib(30) recursive, in-process"),
    Bench::new("loop", "s", Lower, "while loop of 10,000,000 additions (s += i; i += 1)"),
    Bench::new("dict", "s", Lower, "build a dict of 1,000,000 int keys (d[i] = i)"),
    Bench::new("lock_rate", "pairs/s", Higher, "2 procs x 100k `lock l { n.value += 1 }` on a shared counter"),
    Bench::new("sem", "pairs/s", Higher, "4 procs x 50k acquire+release on sem(2)"),
    Bench::new("event_pingpong_pinned", "µs/round trip", Lower, "event ping-pong, one CPU").script("event_pingpong").prefix(&["taskset", "-c", "0"]),
    Bench::new("event_pingpong_unpinned", "µs/round trip", Lower, "event ping-pong, unpinned").script("event_pingpong"),
    Bench::new("condition_pingpong_pinned", "µs/round trip", Lower, "condition ping-pong (flag + notify under the lock), one CPU").script("condition_pingpong").prefix(&["taskset", "-c", "0"]),
    Bench::new("condition_pingpong_unpinned", "µs/round trip", Lower, "condition ping-pong (flag + notify under the lock), unpinned").script("condition_pingpong"),
    Bench::new("barrier_rounds", "rounds/s", Higher, "3 processes pass one barrier(3) 5,000 times"),
    Bench::new("queue_1to1", "msgs/s", Higher, "queue 1 producer -> 1 consumer, 100,000 small ints"),
    Bench::new("queue_1to1_traced", "msgs/s", Higher, "queue_1to1 with --trace on (CPython column runs plain)").script("queue_1to1").mps_opts(&["--trace", "target/bench-trace.json"]),
    Bench::new("queue_1kib", "MB/s", Higher, "queue 1 producer -> 1 consumer, 20,000 items of 1 KiB").script("queue_1to1").extra(&["kib"]),
    Bench::new("pipe_pingpong_pinned", "µs/round trip", Lower, "duplex pipe ping-pong of a small int, 20,000 round trips, one CPU").script("pipe_pingpong").prefix(&["taskset", "-c", "0"]),
    Bench::new("pipe_pingpong_unpinned", "µs/round trip", Lower, "duplex pipe ping-pong of a small int, 20,000 round trips, unpinned").script("pipe_pingpong"),
    Bench::new("joinable_queue", "items/s", Higher, "main puts 20,000 ints then join(); 2 consumers get() + task_done()"),
    Bench::new("shared_dict", "ops/s", Higher, "2 procs x 5k `lock d { d[\"count\"] += 1 }` (CPython: Manager().dict() + Lock)"),
    Bench::new("spawn_seq", "µs/process", Lower, "200 processes spawned and joined one after another"),
    Bench::new("spawn_burst", "µs/process", Lower, "200 processes spawned, then all joined"),
    Bench::new("pool_map", "tasks/s", Higher, "pool(2).map(square, 0..100000), default chunks, pool start excluded"),
    Bench::new("pool_apply_async", "tasks/s", Higher, "10,000 apply_async(square, i) on pool(2), then get() all"),
    Bench::new("pool_life", "ms", Lower, "pool(2); close(); join() with no work"),
    Bench::new("tcp_echo", "round trips/s", Higher, "one loopback TCP connection, a child echoes 16 bytes; 20,000 round trips"),
    Bench::new("tcp_pool_accept", "conns/s", Higher, "2,000 connections accepted by the parent, each handed to pool(2) (SCM_RIGHTS), which answers and closes"),
    Bench::new("remote_queue_1to1", "msgs/s", Higher, "remote queue through Redis, 1 producer -> 1 consumer, 20,000 small ints (CPython: BaseManager queue on loopback)").redis(Redis::Server),
    Bench::new("remote_queue_floor", "msgs/s", Higher, "the same remote queue against the floor: CPython column is a raw LPUSH/BRPOP loop over a socket (no library), one round trip each way").script("remote_queue_1to1").redis(Redis::Server),
    Bench::new("remote_pool", "tasks/s", Higher, "m.pool(\"bench\").map(square, 0..20000) served by 2 `mpscript worker --procs 1` (CPython: BaseManager task/result queues, 2 workers)").redis(Redis::ServerAndWorkers),
    Bench::new("thread_cpu", "x", Lower, "2 CPU-bound threads / the same work in 1 thread (the GIL: ≥ 0.9x expected)"),
    Bench::new("thread_cpu_procs", "x", Lower, "2 CPU-bound processes / the same work in 1 thread (≤ 0.6x on 2 free cores)").script("thread_cpu").extra(&["procs"]),
    Bench::new("thread_start", "µs/thread", Lower, "2,000 threads started and joined one after another"),
    Bench::new("thread_lock", "pairs/s", Higher, "2 threads x 20k `lock l { n += 1 }` (a lock handed between threads)"),
    Bench::new("methods", "s", Lower, "300,000 rounds of list push+pop and str upper+split+starts_with, in a function"),
    Bench::new("strbuild", "s", Lower, "a str grown by += 20,000 times, then \"\".join of 200,000 interpolated pieces"),
    Bench::new("closures", "s", Lower, "200,000 counter closures made, each called 5 times (once through a parameter)"),
    Bench::new("pool_fib", "s", Lower, "pool(2).map(fib, [25] * 8): CPU-bound work over 2 workers, pool start excluded"),
    Bench::new("parse", "s", Lower, "check (CPython: compile) of 18 nested fn and 18 nested spawn blocks and an 80,000-argument call, in a fresh process"),
];

const DEFAULT_REPS: u32 = 5;
const DEFAULT_TIMEOUT_SECS: u64 = 600;

const USAGE: &str = "\
usage: cargo bench [-- [OPTIONS] [FILTER...]]
  FILTER          run only rows whose name contains one of these substrings
  --quick         1 repetition per side instead of 5
  --reps N        N repetitions per side
  --list          list the rows and exit
  --timeout SECS  give up on one script run after SECS (default 600)
  --mpscript PATH interpreter to test (default: target/release/mpscript, or $MPSCRIPT)
  --python CMD    CPython to compare with (default: python3, or $PYTHON)
  --lua CMD       Lua to run the .lua twins with (default: lua5.4, or $LUA)";

struct Opts {
    reps: u32,
    filters: Vec<String>,
    list: bool,
    timeout: Duration,
    mpscript: PathBuf,
    python: String,
    lua: String,
}

fn parse_args() -> Result<Opts, String> {
    let mut opts = Opts {
        reps: DEFAULT_REPS,
        filters: Vec::new(),
        list: false,
        timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        mpscript: default_mpscript(),
        python: std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string()),
        lua: std::env::var("LUA").unwrap_or_else(|_| "lua5.4".to_string()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--bench" => {} // passed by `cargo bench` to every bench target
            "--quick" => opts.reps = 1,
            "--reps" => {
                opts.reps = value("--reps")?.parse().ok().filter(|&n| n > 0).ok_or("--reps needs a positive integer")?
            }
            "--list" => opts.list = true,
            "--timeout" => {
                let secs: f64 = value("--timeout")?
                    .parse()
                    .ok()
                    .filter(|&s: &f64| s > 0.0)
                    .ok_or("--timeout needs a positive number of seconds")?;
                opts.timeout = Duration::from_secs_f64(secs);
            }
            "--mpscript" => opts.mpscript = PathBuf::from(value("--mpscript")?),
            "--python" => opts.python = value("--python")?,
            "--lua" => opts.lua = value("--lua")?,
            "-h" | "--help" => return Err(String::new()),
            f if f.starts_with('-') => return Err(format!("unknown option {f}")),
            f => opts.filters.push(f.to_string()),
        }
    }
    Ok(opts)
}

/// The binary cargo built for this bench (`cargo bench` builds the package's
/// binaries first and tells benches where they are), unless `$MPSCRIPT` says
/// otherwise.
fn default_mpscript() -> PathBuf {
    if let Ok(p) = std::env::var("MPSCRIPT") {
        return PathBuf::from(p);
    }
    match option_env!("CARGO_BIN_EXE_mpscript") {
        Some(p) => PathBuf::from(p),
        None => manifest_dir().join("target/release/mpscript"),
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where results go: `<target dir>/bench-results.md`, next to the binary's
/// profile directory (so it follows `CARGO_TARGET_DIR`).
fn results_path() -> PathBuf {
    option_env!("CARGO_BIN_EXE_mpscript")
        .and_then(|p| Path::new(p).parent()?.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| manifest_dir().join("target"))
        .join("bench-results.md")
}

/// Outcome of running one side of one row.
enum Run {
    Ok(Vec<f64>),
    Failed(String),
    Skipped(String),
}

impl Run {
    fn median(&self) -> Option<f64> {
        match self {
            Run::Ok(v) => Some(median(v)),
            _ => None,
        }
    }
    fn cell(&self) -> String {
        match self {
            Run::Ok(v) => fmt_num(median(v)),
            Run::Failed(_) => "FAILED".to_string(),
            Run::Skipped(_) => "—".to_string(),
        }
    }
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// A `redis-server` of the harness's own on a free loopback port, with a
/// password and no persistence, and the `mpscript worker`s a row asks for;
/// all stopped when dropped.
struct RedisServer {
    server: std::process::Child,
    workers: Vec<std::process::Child>,
    url: String,
}

const REDIS_AUTHKEY: &str = "bench-authkey";

impl RedisServer {
    fn start(bench: &Bench, mpscript: &str) -> Result<RedisServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let server = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--requirepass", REDIS_AUTHKEY, "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server ({e}): apt-get install redis-server"))?;
        let mut me = RedisServer { server, workers: Vec::new(), url: format!("redis://127.0.0.1:{port}/0") };
        let end = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() >= end || me.server.try_wait().ok().flatten().is_some() {
                return Err("redis-server did not start".into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if bench.redis == Redis::ServerAndWorkers {
            for _ in 0..2 {
                let w = Command::new(mpscript)
                    .args(["worker", &me.url, "--authkey", REDIS_AUTHKEY, "--pool", "bench", "--procs", "1"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|e| format!("cannot start mpscript worker: {e}"))?;
                me.workers.push(w);
            }
        }
        Ok(me)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        for w in &mut self.workers {
            // SIGINT, as Ctrl-C: the worker ends its own processes.
            // SAFETY: plain kill(2) of our own child.
            unsafe { libc::kill(w.id() as i32, libc::SIGINT) };
            let _ = w.wait();
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Runs `prefix... program script reps extra...` and collects its RESULT lines.
fn run_script(program: &str, bench: &Bench, script: &Path, opts: &Opts) -> Run {
    let redis = match bench.redis {
        Redis::No => None,
        _ => match RedisServer::start(bench, &opts.mpscript.display().to_string()) {
            Ok(r) => Some(r),
            Err(e) => return Run::Skipped(e),
        },
    };
    // The floor row's CPython side is the raw Redis loop.
    let script = match (bench.name, script.extension().is_some_and(|e| e == "py")) {
        ("remote_queue_floor", true) => script.with_file_name("redis_floor_1to1.py"),
        _ => script.to_path_buf(),
    };
    let script = script.as_path();
    if !script.exists() {
        return Run::Skipped(format!("{} does not exist", script.display()));
    }
    let mut argv: Vec<String> = bench.prefix.iter().map(|s| s.to_string()).collect();
    argv.push(program.to_string());
    if script.extension().is_some_and(|e| e == "mps") {
        argv.extend(bench.mps_opts.iter().map(|s| s.to_string()));
    }
    argv.push(script.display().to_string());
    argv.push(opts.reps.to_string());
    argv.extend(bench.extra.iter().map(|s| s.to_string()));
    if let Some(r) = &redis {
        argv.extend([r.url.clone(), REDIS_AUTHKEY.to_string()]);
    }
    let cmdline = argv.join(" ");

    let mut child = match Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(manifest_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Run::Skipped(format!("cannot start `{cmdline}`: {e}")),
    };
    // Drain both pipes on threads so a chatty script never blocks.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));

    let deadline = Instant::now() + opts.timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Run::Failed(format!("`{cmdline}`: {e}")),
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let tail = || {
        let lines: Vec<&str> = stderr.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    };
    let Some(status) = status else {
        return Run::Failed(format!("`{cmdline}` timed out after {:?}\n{}", opts.timeout, tail()));
    };
    if !status.success() {
        return Run::Failed(format!("`{cmdline}` exited with {status}\n{}", tail()));
    }
    let mut values = Vec::new();
    for line in stdout.lines() {
        if let Some(rest) = line.trim().strip_prefix("RESULT") {
            match rest.trim().parse::<f64>() {
                Ok(v) if v.is_finite() => values.push(v),
                _ => return Run::Failed(format!("`{cmdline}`: bad line {line:?}")),
            }
        }
    }
    if values.is_empty() {
        return Run::Failed(format!("`{cmdline}` printed no RESULT line\n{}", tail()));
    }
    Run::Ok(values)
}

/// How many times faster mpscript is (>1 = faster), whatever the unit's direction.
fn ratio(better: Better, py: Option<f64>, mps: Option<f64>) -> Option<f64> {
    let (py, mps) = (py?, mps?);
    let r = match better {
        Lower => py / mps,
        Higher => mps / py,
    };
    r.is_finite().then_some(r)
}

/// 4 significant digits below 1000, whole numbers with thousands separators above.
fn fmt_num(v: f64) -> String {
    if v.abs() >= 1000.0 {
        let digits = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if v == 0.0 {
        "0".to_string()
    } else {
        let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
        format!("{v:.decimals$}")
    }
}

fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 10.0 => format!("{r:.1}x"),
        Some(r) => format!("{r:.2}x"),
        None => "—".to_string(),
    }
}

/// Output of a command's stdout, trimmed, if it ran successfully.
fn capture(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stderr(Stdio::null()).output().ok()?;
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// A markdown table with padded columns; `right` marks right-aligned columns.
fn render_table(header: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let width =
        |i: usize| rows.iter().map(|r| r[i].chars().count()).chain([header[i].chars().count()]).max().unwrap_or(0);
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let pad = |s: &str, i: usize| {
        let fill = " ".repeat(widths[i] - s.chars().count());
        if right[i] {
            format!("{fill}{s}")
        } else {
            format!("{s}{fill}")
        }
    };
    let mut out = line(header.iter().enumerate().map(|(i, h)| pad(h, i)).collect());
    out += &line(
        (0..header.len())
            .map(|i| if right[i] { format!("{}:", "-".repeat(widths[i] - 1)) } else { "-".repeat(widths[i]) })
            .collect(),
    );
    for r in rows {
        out += &line(r.iter().enumerate().map(|(i, c)| pad(c, i)).collect());
    }
    out
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("side_by_side: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<&Bench> = BENCHES
        .iter()
        .filter(|b| opts.filters.is_empty() || opts.filters.iter().any(|f| b.name.contains(f.as_str())))
        .collect();
    if opts.list {
        for b in BENCHES {
            println!(
                "{:<24} {:<16} {:<7} {}",
                b.name,
                b.unit,
                if b.better == Lower { "lower" } else { "higher" },
                b.desc
            );
        }
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() {
        eprintln!("side_by_side: no benchmark matches {:?} (try --list)", opts.filters);
        return ExitCode::from(2);
    }
    let mpscript = opts.mpscript.display().to_string();
    if !opts.mpscript.is_file() {
        eprintln!("side_by_side: {mpscript} not found; run `cargo build --release` or use `cargo bench`");
        return ExitCode::FAILURE;
    }
    let py_version = capture(&opts.python, &["-c", "import sys; print(sys.version.split()[0])"]);
    let mut notes: Vec<String> = Vec::new();
    if py_version.is_none() {
        notes.push(format!("`{}` not found: CPython column left empty (mpscript numbers only).", opts.python));
    }
    let lua_version = capture(&opts.lua, &["-v"]);
    if lua_version.is_none() {
        notes.push(format!("`{}` not found: Lua column left empty.", opts.lua));
    }

    let benches_dir = manifest_dir().join("benches");
    let mut rows = Vec::new();
    let mut detail = Vec::new();
    let mut failed = false;
    for b in &selected {
        let mut runs = Vec::new();
        // All sides back to back, CPython first, so they see the same machine state.
        let sides = [
            ("CPython", opts.python.as_str(), "py"),
            ("mpscript", mpscript.as_str(), "mps"),
            ("Lua", opts.lua.as_str(), "lua"),
        ];
        for (side, program, ext) in sides {
            let script = benches_dir.join(format!("{}.{ext}", b.script));
            let run = if side == "CPython" && py_version.is_none() {
                Run::Skipped("python not found".to_string())
            } else if side == "Lua" && (lua_version.is_none() || !script.exists()) {
                // Lua twins exist only for the plain-computing rows.
                Run::Skipped(String::new())
            } else {
                eprint!("{:<24} {:<9} ... ", b.name, side);
                let run = run_script(program, b, &script, &opts);
                match &run {
                    Run::Ok(v) => eprintln!(
                        "median {} {}  (n={}: {})",
                        fmt_num(median(v)),
                        b.unit,
                        v.len(),
                        v.iter().map(|&x| fmt_num(x)).collect::<Vec<_>>().join(" ")
                    ),
                    Run::Failed(msg) => {
                        failed = true;
                        eprintln!("FAILED\n{msg}");
                        notes.push(format!("{} / {side}: {}", b.name, msg.lines().next().unwrap_or("")));
                    }
                    Run::Skipped(msg) => {
                        eprintln!("skipped: {msg}");
                        notes.push(format!("{} / {side}: skipped: {msg}", b.name));
                    }
                }
                run
            };
            runs.push(run);
        }
        let (py, mps, lua) = (&runs[0], &runs[1], &runs[2]);
        let r = ratio(b.better, py.median(), mps.median());
        let r_lua = ratio(b.better, lua.median(), mps.median());
        rows.push(vec![
            b.name.to_string(),
            b.unit.to_string(),
            py.cell(),
            mps.cell(),
            fmt_ratio(r),
            lua.cell(),
            fmt_ratio(r_lua),
        ]);
        let range = |run: &Run| match run {
            Run::Ok(v) => {
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("{}–{}", fmt_num(lo), fmt_num(hi))
            }
            _ => "—".to_string(),
        };
        let better = if b.better == Lower { "lower" } else { "higher" };
        let prefix = if b.prefix.is_empty() { String::new() } else { format!(" (run under `{}`)", b.prefix.join(" ")) };
        let lua_range = if matches!(lua, Run::Ok(_)) { format!(" / Lua {}", range(lua)) } else { String::new() };
        detail.push(format!(
            "- `{}`: {}{prefix}; {better} is better; CPython {} / mpscript {}{lua_range} ({})",
            b.name,
            b.desc,
            range(py),
            range(mps),
            b.unit
        ));
    }

    let table = render_table(
        &[
            "benchmark",
            "unit",
            "CPython median",
            "mpscript median",
            "ratio (>1 = mpscript faster)",
            "Lua 5.4 median",
            "vs Lua (>1 = mpscript faster)",
        ],
        &[false, false, true, true, true, true, true],
        &rows,
    );
    // The checkout's commit describes the binary only when cargo built it.
    let commit = if opts.mpscript == default_mpscript() {
        let dir = manifest_dir().display().to_string();
        capture("git", &["-C", &dir, "describe", "--always", "--dirty"])
    } else {
        None
    };
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let about = format!(
        "mpscript {}({mpscript}) vs CPython {} and {}; {} repetition(s) per side, medians; {cpus} CPU(s)",
        commit.map(|c| c + " ").unwrap_or_default(),
        py_version.as_deref().unwrap_or("(not found)"),
        lua_version.as_deref().unwrap_or("Lua (not found)"),
        opts.reps,
    );

    println!("\n{table}");
    println!("{about}");
    for n in &notes {
        println!("note: {n}");
    }

    let mut md = format!(
        "# mpscript vs CPython, side by side\n\n{about}\n\n{table}\nRanges (min–max over repetitions):\n\n{}\n",
        detail.join("\n")
    );
    if !notes.is_empty() {
        md += &format!("\nNotes:\n\n{}\n", notes.iter().map(|n| format!("- {n}")).collect::<Vec<_>>().join("\n"));
    }
    let path = results_path();
    match std::fs::write(&path, md) {
        Ok(()) => println!("written to {}", path.display()),
        Err(e) => eprintln!("side_by_side: cannot write {}: {e}", path.display()),
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
