//! The `mpscript` command: arguments → Engine. No language logic here.

use mpscript::{Engine, WorkerOptions};
use std::process::ExitCode;

const USAGE: &str = "\
usage: mpscript [OPTIONS] FILE [ARGS...]   run a script
       mpscript [OPTIONS] -e 'CODE'        run code given on the command line
       mpscript [OPTIONS]                  interactive REPL
       mpscript check FILE...              parse and check without running
       mpscript explore FILE [--runs N] [--depth D] [--seed S] [ARGS...]
                                           run it N times (200) under a controlled
                                           scheduler; report each distinct outcome
       mpscript replay --schedule S FILE [--timeline F] [ARGS...]
                                           re-run one explored interleaving exactly
                                           (after FILE, `--` ends the options)
       mpscript worker URL --pool NAME [--authkey K] [--procs N]
                                           serve a remote pool's tasks on this
                                           machine (the authkey can also come
                                           from $MPSCRIPT_AUTHKEY)
       mpscript help [TOPIC]               the reference entry for a keyword,
                                           builtin or method (help queue.get)

options:
  --seed N          reproducible rand* in every process
  --timeout SECS    end the whole process tree after SECS (exit code 124)
  --max-procs N     limit on live processes (default 256)
  --tag             prefix every printed line with [name pid]
  --trace FILE      write a Chrome trace-event JSON of the run (open it in
                    https://ui.perfetto.dev or chrome://tracing)
  --timeline FILE   draw the run as SVG swimlanes (open FILE.svg in a browser)
  explore: --runs N (200), --depth D (3: PCT's depth, D-1 priority changes),
           --seed S (the exploration's seed), --timeout SECS (per run, 20)
  -h, --help        show this help
  -V, --version     show the version

exit codes: 0 success, 1 uncaught runtime error, 2 syntax/check error or bad
usage, 3 deadlock detected, 124 --timeout reached, 130 Ctrl-C, 143 SIGTERM,
141 (SIGPIPE) its output pipe was closed (as for `cat`)

docs: `mpscript help` lists every topic; the full reference is
docs/reference.md and a tutorial is in docs/tutorial/ (in the source tree).
";

/// The largest `--max-procs`: the process table is one shared mapping made
/// up front, sized for this many live processes.
const MAX_PROCS_LIMIT: usize = 65_536;

/// What the command line asks for.
#[derive(Default)]
struct Options {
    seed: Option<u64>,
    timeout: Option<f64>,
    max_procs: Option<usize>,
    tag: bool,
    trace: Option<String>,
    timeline: Option<String>,
    code: Option<String>,
    check: Vec<String>,
    /// `explore` (runs, depth) or `replay` (its schedule).
    explore: Option<(u32, u32)>,
    replay: bool,
    schedule: Option<String>,
    /// `mpscript help [TOPIC...]`.
    help: Option<Vec<String>>,
    script: Option<String>,
    script_args: Vec<String>,
    worker: Option<WorkerOptions>,
}

fn usage_error(msg: &str) -> ExitCode {
    Engine::eprint(&format!("mpscript: {msg}\n\n{USAGE}"));
    ExitCode::from(2)
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut o = Options::default();
    let mut checking = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "-V" | "--version" => {
                println!("mpscript {}", env!("CARGO_PKG_VERSION"));
                std::process::exit(0);
            }
            "--seed" => o.seed = Some(value("--seed")?.parse().map_err(|_| "--seed needs a whole number")?),
            "--timeout" => {
                let t: f64 = value("--timeout")?.parse().map_err(|_| "--timeout needs a number of seconds")?;
                if !(t > 0.0 && t.is_finite()) {
                    return Err("--timeout needs a positive number of seconds".into());
                }
                o.timeout = Some(t);
            }
            "--max-procs" => {
                let n: usize = value("--max-procs")?.parse().map_err(|_| "--max-procs needs a whole number")?;
                if !(1..=MAX_PROCS_LIMIT).contains(&n) {
                    return Err(format!("--max-procs must be between 1 and {MAX_PROCS_LIMIT}, not {n}"));
                }
                o.max_procs = Some(n);
            }
            "--tag" => o.tag = true,
            "--trace" => o.trace = Some(value("--trace")?),
            "--timeline" => o.timeline = Some(value("--timeline")?),
            "-e" => o.code = Some(value("-e")?),
            "worker" if o.script.is_none() && o.code.is_none() && !checking => {
                o.worker = Some(parse_worker(args.by_ref())?);
            }
            "check" if o.script.is_none() && o.code.is_none() && !checking => checking = true,
            "explore" if o.script.is_none() && o.code.is_none() && !checking && o.explore.is_none() && !o.replay => {
                o.explore = Some((200, 3));
            }
            "replay" if o.script.is_none() && o.code.is_none() && !checking && o.explore.is_none() && !o.replay => {
                o.replay = true;
            }
            "--runs" | "--depth" if o.explore.is_some() => {
                let n: u32 = value(&a)?.parse().map_err(|_| format!("{a} needs a whole number"))?;
                let (runs, depth) = o.explore.as_mut().expect("exploring");
                match a.as_str() {
                    "--runs" if (1..=1_000_000).contains(&n) => *runs = n,
                    "--depth" if (1..=17).contains(&n) => *depth = n,
                    "--runs" => return Err("--runs must be between 1 and 1000000".into()),
                    _ => return Err("--depth must be between 1 and 17".into()),
                }
            }
            "--schedule" if o.replay => o.schedule = Some(value("--schedule")?),
            // `explore FILE --runs 60 -- ARGS`: options may follow the file.
            "--" if o.script.is_some() => o.script_args.extend(args.by_ref()),
            "help" if o.script.is_none() && o.code.is_none() && !checking && o.explore.is_none() && !o.replay => {
                o.help = Some(args.by_ref().collect());
            }
            s if s.starts_with('-') && s.len() > 1 && !checking => return Err(format!("unknown option `{s}`")),
            _ if checking => o.check.push(a),
            _ => {
                if o.code.is_some() || o.script.is_some() {
                    o.script_args.push(a);
                } else {
                    o.script = Some(a);
                    if o.explore.is_some() || o.replay {
                        continue;
                    }
                }
                o.script_args.extend(args.by_ref());
            }
        }
    }
    if checking && o.check.is_empty() {
        return Err("check needs at least one FILE".into());
    }
    if (o.explore.is_some() || o.replay) && o.script.is_none() {
        return Err(format!("{} needs a FILE", if o.replay { "replay" } else { "explore" }));
    }
    if o.replay && o.schedule.is_none() {
        return Err("replay needs --schedule S (as `explore` prints it)".into());
    }
    Ok(Some(o))
}

/// `worker URL --pool NAME [--authkey K] [--procs N]`.
fn parse_worker(args: impl Iterator<Item = String>) -> Result<WorkerOptions, String> {
    let mut args = args.peekable();
    let mut o = WorkerOptions {
        url: String::new(),
        authkey: std::env::var("MPSCRIPT_AUTHKEY").ok(),
        pool: String::new(),
        procs: 0,
    };
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--authkey" => o.authkey = Some(value("--authkey")?),
            "--pool" => o.pool = value("--pool")?,
            "--procs" => {
                let n: usize = value("--procs")?.parse().map_err(|_| "--procs needs a whole number")?;
                if !(1..=1024).contains(&n) {
                    return Err(format!("--procs must be between 1 and 1024, not {n}"));
                }
                o.procs = n;
            }
            s if s.starts_with('-') => return Err(format!("unknown worker option `{s}`")),
            _ if o.url.is_empty() => o.url = a,
            _ => return Err(format!("worker takes one URL, not also `{a}`")),
        }
    }
    if o.url.is_empty() {
        return Err("worker needs the Redis URL (redis://host:port/db)".into());
    }
    if o.pool.is_empty() {
        return Err("worker needs --pool NAME".into());
    }
    if o.procs == 0 {
        o.procs = std::thread::available_parallelism().map_or(1, |n| n.get());
    }
    Ok(o)
}

/// `mpscript help [TOPIC...]`: each topic's entry (the topic list without
/// one); exit code 2 when a topic is unknown.
fn help(topics: &[String]) -> ExitCode {
    if topics.is_empty() {
        print!("{}", Engine::help("").unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let mut code = ExitCode::SUCCESS;
    for (i, topic) in topics.iter().enumerate() {
        if i > 0 {
            println!();
        }
        match Engine::help(topic) {
            Ok(text) => print!("{text}"),
            Err(hint) => {
                Engine::eprint(&format!("mpscript: {hint}"));
                code = ExitCode::from(2);
            }
        }
    }
    code
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => return usage_error(&msg),
    };
    if let Some(topics) = &opts.help {
        return help(topics);
    }
    if let (Some((runs, depth)), Some(file)) = (opts.explore, &opts.script) {
        return explore(&opts, file, runs, depth);
    }
    let mut engine = Engine::new();
    if let Some(seed) = opts.seed {
        engine.set_seed(seed);
    }
    if let Some(n) = opts.max_procs {
        engine.set_max_procs(n);
    }
    engine.set_tag(opts.tag);
    engine.set_args(opts.script_args.clone());

    if !opts.check.is_empty() {
        let mut code = 0;
        for file in &opts.check {
            if let Err(e) = Engine::new().check_file(file) {
                Engine::eprint(&e.rendered);
                code = 2;
            }
        }
        return ExitCode::from(code);
    }
    if let Some(schedule) = &opts.schedule {
        if let Err(e) = engine.set_schedule(schedule) {
            Engine::eprint(&format!("mpscript: {}\n", e.message));
            return ExitCode::from(2);
        }
    }
    let traced = opts.trace.as_ref().map(|p| engine.set_trace(p));
    let drawn = opts.timeline.as_ref().map(|p| engine.set_timeline(p));
    if let Some(Err(e)) = traced.into_iter().chain(drawn).find(|r| r.is_err()) {
        Engine::eprint(&format!("mpscript: {}\n", e.message));
        return ExitCode::from(2);
    }
    engine.start_runtime();
    if let Some(secs) = opts.timeout {
        engine.set_timeout(secs);
    }
    if let Some(w) = &opts.worker {
        let code = match engine.serve_pool(w) {
            Ok(()) => 0,
            Err(e) => {
                Engine::eprint(&e.rendered);
                e.exit_code.clamp(0, 255)
            }
        };
        engine.exit(code);
    }
    let result = match (&opts.code, &opts.script) {
        (Some(code), _) => engine.eval_named("<-e>", code).map(|_| ()),
        (None, Some(script)) => engine.run_file(script),
        (None, None) => {
            let code = engine.repl();
            engine.exit(code)
        }
    };
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            if !e.rendered.is_empty() {
                Engine::eprint(&e.rendered);
            }
            e.exit_code.clamp(0, 255)
        }
    };
    engine.exit(code)
}

/// `mpscript explore FILE`: the script is checked once, then run under
/// many schedules (each run is `mpscript replay --schedule S FILE`).
fn explore(opts: &Options, file: &str, runs: u32, depth: u32) -> ExitCode {
    if opts.trace.is_some() || opts.timeline.is_some() || opts.tag || opts.code.is_some() {
        return usage_error(
            "explore takes --runs, --depth, --seed, --timeout and --max-procs; draw one run with `replay --timeline`",
        );
    }
    if let Err(e) = Engine::new().check_file(file) {
        Engine::eprint(&e.rendered);
        return ExitCode::from(2);
    }
    let bin = match std::env::current_exe() {
        Ok(bin) => bin,
        Err(e) => {
            Engine::eprint(&format!("mpscript: cannot find its own binary: {e}\n"));
            return ExitCode::from(2);
        }
    };
    let explorer = mpscript::Explorer {
        bin,
        file: file.to_string(),
        args: opts.script_args.clone(),
        runs,
        depth,
        seed: opts.seed,
        timeout: opts.timeout.unwrap_or(20.0),
        max_procs: opts.max_procs,
    };
    ExitCode::from(explorer.run() as u8)
}
