//! The embedding surface: `Engine` (create, register host functions,
//! evaluate, run files) and its `Error`.

pub mod explore;
mod register;

pub use register::{FromValue, HostFunction, IntoValue};

use crate::diagnostics::{ErrorKind, ErrorObj, Flow};
use crate::eval::Interp;
use crate::value::{NativeFn, Value};
use std::fmt;
use std::path::Path;

/// An mpscript interpreter a host program can drive.
///
/// ```
/// let mut engine = mpscript::Engine::new();
/// engine.register_fn("double", |x: i64| x * 2);
/// let v = engine.eval("2 + double(20)").unwrap();
/// assert_eq!(v, mpscript::Value::Int(42));
/// ```
///
/// `spawn` and `pool` fork the host process: a host must have no other
/// running threads when a script spawns (the same rule as CPython's `fork`
/// start method).
pub struct Engine {
    /// Boxed: the script's threads hold its address, which must not move.
    interp: Box<Interp>,
    /// `finish` ran: dropping the engine has nothing left to end.
    finished: bool,
}

/// An engine dropped with its runtime started ends the program's processes
/// as `finish` does (children joined, the guardian reaped), so a host that
/// forgets `finish` leaves no orphan or zombie behind.
impl Drop for Engine {
    fn drop(&mut self) {
        if self.interp.rt.started && !self.interp.rt.is_child && !self.finished {
            if let Err(e) = self.finish() {
                crate::runtime::output::eprint(&e.rendered);
            }
        }
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

impl Engine {
    pub fn new() -> Engine {
        Engine { interp: Box::new(Interp::new()), finished: false }
    }

    /// Make a Rust closure callable from scripts as `name(...)`.
    pub fn register_fn<Args, F: HostFunction<Args>>(&mut self, name: &str, f: F) {
        self.interp.define_native(name, NativeFn::Host(f.into_host()));
    }

    /// Set a global variable.
    pub fn set_global(&mut self, name: &str, value: Value) {
        self.interp.define_global(name, value);
    }

    /// The command-line arguments the script sees as `args`.
    pub fn set_args(&mut self, args: Vec<String>) {
        let list = Value::list(args.iter().map(|a| Value::str(a)).collect());
        self.interp.script_args = args;
        self.interp.define_global("args", list);
    }

    /// Make `rand*` reproducible.
    pub fn set_seed(&mut self, seed: u64) {
        self.interp.set_seed(seed);
    }

    /// Evaluate source text; the value of its last expression statement.
    pub fn eval(&mut self, code: &str) -> Result<Value, Error> {
        self.eval_named("<eval>", code)
    }

    /// Like `eval`, with a name for the source used in diagnostics.
    pub fn eval_named(&mut self, name: &str, code: &str) -> Result<Value, Error> {
        let program = self.interp.compile(name, code, false).map_err(|e| self.error(e, 2))?;
        self.interp.run(&program).map_err(|f| self.flow_error(f))
    }

    /// Run a script file.
    pub fn run_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let text = read_script(path).map_err(|e| self.error(e, 2))?;
        self.eval_named(&path.display().to_string(), &text).map(|_| ())
    }

    /// Parse and check a script without running it.
    pub fn check_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        let text = read_script(path).map_err(|e| self.error(e, 2))?;
        self.interp.compile(&path.display().to_string(), &text, true).map(|_| ()).map_err(|e| self.error(e, 2))
    }

    /// Limit the number of live processes (`--max-procs`).
    pub fn set_max_procs(&mut self, n: usize) {
        self.interp.rt.max_procs = n;
    }

    /// Prefix printed lines with `[name pid]` (`--tag`).
    pub fn set_tag(&mut self, on: bool) {
        self.interp.rt.tag = on;
    }

    /// Trace the run (every process) into a Chrome trace-event JSON file,
    /// written when the program ends (`--trace FILE`). The file is created
    /// now; call before the script spawns anything.
    pub fn set_trace(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let out = crate::runtime::trace::Output::Trace;
        crate::runtime::trace::output_to(&mut *self.interp, out, path.as_ref()).map_err(|e| self.error(e, 2))
    }

    /// Like `set_trace`, drawn as SVG swimlanes (`--timeline FILE.svg`).
    pub fn set_timeline(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let out = crate::runtime::trace::Output::Timeline;
        crate::runtime::trace::output_to(&mut *self.interp, out, path.as_ref()).map_err(|e| self.error(e, 2))
    }

    /// Run the program under the controlled scheduler with this schedule
    /// (`replay --schedule S`, and each run of `explore`): its processes
    /// run one at a time, switching only at scheduling points, and `sleep`
    /// takes no real time. Also seeds `rand*` from the schedule unless a
    /// seed was set. Call before the script spawns anything.
    pub fn set_schedule(&mut self, schedule: &str) -> Result<(), Error> {
        let s: crate::runtime::explore::Schedule =
            schedule.parse().map_err(|m: String| self.error(ErrorObj::new(ErrorKind::ValueError, m), 2))?;
        if self.interp.seed.is_none() {
            self.interp.set_seed(s.seed);
        }
        crate::runtime::explore::start(&mut *self.interp, s).map_err(|e| self.error(e, 2))
    }

    /// Map the process table and catch Ctrl-C now rather than at the first
    /// `spawn` (the CLI does this at start).
    pub fn start_runtime(&mut self) {
        crate::runtime::process::start(&mut *self.interp);
    }

    /// `mpscript worker`: serve the tasks of remote pool `o.pool` with
    /// `o.procs` worker processes until Ctrl-C or SIGTERM (see
    /// `runtime::remote::worker`). Call after `start_runtime`.
    pub fn serve_pool(&mut self, o: &crate::runtime::remote::worker::WorkerOptions) -> Result<(), Error> {
        crate::runtime::remote::worker::serve(&mut *self.interp, o).map_err(|e| self.error(e, 1))
    }

    /// End the program's processes: terminate the
    /// daemons, then wait for every other child; reap everything. Then
    /// write the trace and timeline files, if asked for. An error when the
    /// waiting was cut short: a deadlock among the children (exit code 3),
    /// Ctrl-C (130), SIGTERM (143) or SIGHUP (129).
    pub fn finish(&mut self) -> Result<(), Error> {
        self.finished = !self.interp.rt.is_child;
        match crate::runtime::process::finish(&mut *self.interp) {
            None => Ok(()),
            Some(e) => Err(match e.exit {
                Some(code) => self.flow_error(Flow::Exit(code)),
                None => self.error(e, 1),
            }),
        }
    }

    /// Whether this is a process forked by the script (`fork()` or `spawn`)
    /// rather than the original one.
    pub fn is_forked_child(&self) -> bool {
        self.interp.rt.is_child
    }

    /// Finish and leave the process with `code` (with `_exit`, as a forked
    /// child must; also right for the main process, which buffers nothing).
    pub fn exit(&mut self, code: i32) -> ! {
        if self.interp.rt.is_child {
            crate::runtime::process::leave(&mut *self.interp, code)
        }
        let code = match self.finish() {
            Ok(()) => code,
            Err(e) => {
                crate::runtime::output::eprint(&e.rendered);
                e.exit_code.clamp(0, 255)
            }
        };
        crate::runtime::process::exit_now(code)
    }

    /// The interpreter itself, for the REPL.
    pub(crate) fn interp(&mut self) -> &mut Interp {
        &mut self.interp
    }

    /// End the whole program after `secs` seconds (`--timeout`): every
    /// process is killed and reaped, a message goes to stderr and the exit
    /// code is 124. Call after `start_runtime`. A limit of ~31 years or more
    /// means no limit, as for every timeout in the language.
    pub fn set_timeout(&mut self, secs: f64) {
        if secs < crate::runtime::wait::NO_LIMIT_SECS {
            crate::runtime::signals::arm_timeout(secs);
        }
    }

    /// Run the interactive REPL on stdin until `:quit`, `exit(n)` or end of
    /// input; returns the exit code.
    pub fn repl(&mut self) -> i32 {
        crate::repl::run(self)
    }

    /// The bundled reference's entry for a keyword, builtin or method
    /// (`"queue"`, `"pool.map"`), or the list of topics for `""`; `Err` with
    /// a hint when there is no such topic.
    pub fn help(topic: &str) -> Result<String, String> {
        if topic.trim().is_empty() {
            return Ok(crate::help::index());
        }
        match crate::help::text_for(topic) {
            (text, true) => Ok(text),
            (text, false) => Err(text),
        }
    }

    /// Write `text` to stderr in one write (as diagnostics are), so it does
    /// not interleave with lines from other processes of the program.
    pub fn eprint(text: &str) {
        crate::runtime::output::eprint(text);
    }

    fn error(&self, e: Box<ErrorObj>, mut exit_code: i32) -> Error {
        if e.kind == ErrorKind::KeyboardInterrupt {
            exit_code = 130;
        } else if e.kind == ErrorKind::Terminated {
            exit_code = 128 + e.signal.unwrap_or(libc::SIGTERM);
        } else if e.ends_program() {
            exit_code = 3;
        }
        let e = self.interp.own(e);
        Error { rendered: self.interp.render_error(&e), kind: e.kind.clone(), message: e.message.clone(), exit_code }
    }

    pub(crate) fn flow_error(&self, f: Flow) -> Error {
        match f {
            Flow::Error(e) => {
                let code = e.exit_code();
                self.error(e, code)
            }
            Flow::Exit(code) => Error {
                kind: ErrorKind::SystemExit,
                message: format!("exit({code})"),
                rendered: String::new(),
                exit_code: code,
            },
            // The resolver rejects `break`/`return` outside loops and functions.
            _ => Error {
                kind: ErrorKind::user("Error"),
                message: "misplaced control flow".into(),
                rendered: String::new(),
                exit_code: 1,
            },
        }
    }
}

fn read_script(path: &Path) -> Result<String, Box<ErrorObj>> {
    std::fs::read_to_string(path).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::InvalidData => "it is not UTF-8 text".to_string(),
            _ => e.to_string(),
        };
        ErrorObj::new(ErrorKind::IOError, format!("cannot read script `{}`: {reason}", path.display()))
    })
}

/// An error from the engine: a diagnostic already rendered with its source
/// line, plus the exit code the CLI uses for it.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The full diagnostic as shown on stderr (empty for `exit(n)`).
    pub rendered: String,
    /// 1 for a runtime error, 2 for a syntax error or unreadable script, or
    /// the code given to `exit`.
    pub exit_code: i32,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.kind))
    }
}
