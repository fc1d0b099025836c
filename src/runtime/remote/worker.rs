//! `mpscript worker URL --authkey K --pool NAME --procs N`: serve a remote
//! pool's tasks on this machine. This process supervises N worker
//! processes — it renews their leases (so a long task is not taken for a
//! dead worker by other machines) and starts a new one for each that dies —
//! until Ctrl-C or SIGTERM ends them all. A worker takes a task (held
//! until its result is pushed), runs it as a local pool worker would, and
//! sends the result to the caller's reply list.

use super::conn::Server;
use super::pool::{task_queue, Task, MAX_ATTEMPTS};
use super::LEASE;
use crate::diagnostics::{ErrorKind, ErrorObj, R};
use crate::runtime::pool::{fail_task, keep_freed_memory, run_task, LastFn};
use crate::runtime::process::{self, ProcessHandle};
use crate::runtime::{output, table, wait, Handle, Host};
use crate::syntax::span::Span;
use crate::value::Value;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// What `mpscript worker` was asked to do.
pub struct WorkerOptions {
    pub url: String,
    pub authkey: Option<String>,
    pub pool: String,
    pub procs: usize,
}

/// A worker that dies sooner than this after its start is replaced only
/// after this long (a server that refuses everyone must not make a fork loop).
const QUICK_DEATH: Duration = Duration::from_secs(1);

/// Run the workers until this process is told to stop.
pub fn serve(interp: &mut (impl Host + ?Sized), o: &WorkerOptions) -> R<()> {
    process::start(interp);
    let server = Rc::new(Server::parse(&o.url, o.authkey.as_deref())?);
    server.check()?;
    task_queue(server.clone(), &o.pool)?;
    output::eprint(&format!(
        "mpscript worker: serving pool `{}` from {} with {} process{} on {}\n",
        o.pool,
        server.shown,
        o.procs,
        if o.procs == 1 { "" } else { "es" },
        super::host()
    ));
    let mut workers: Vec<(Rc<ProcessHandle>, Instant)> = Vec::new();
    for i in 0..o.procs {
        workers.push((start(interp, &server, &o.pool, i)?, Instant::now()));
    }
    loop {
        for (w, _) in &workers {
            let key = format!("mps:alive:{}:{}", super::host(), w.pid);
            server.run(|c| redis::cmd("SET").arg(&key).arg(1).arg("EX").arg(LEASE.as_secs()).query::<()>(c))?;
        }
        for (i, slot) in workers.iter_mut().enumerate() {
            let (w, started) = slot.clone();
            let Some(code) = process::exitcode(interp, &w) else { continue };
            output::eprint(&format!(
                "mpscript worker: {} (pid {}) ended with exitcode {code}; starting another\n",
                w.name.borrow(),
                w.pid
            ));
            if started.elapsed() < QUICK_DEATH {
                wait::sleep(interp, QUICK_DEATH.as_secs_f64())?;
            }
            *slot = (start(interp, &server, &o.pool, i)?, Instant::now());
        }
        // Wake for a dead worker at once, and renew leases every few seconds.
        let first = workers[0].0.pid;
        process::wait_child(interp, first, Some(0.5), Span::default())?;
        wait::sleep(interp, 0.0)?;
    }
}

fn start(interp: &mut (impl Host + ?Sized), server: &Rc<Server>, pool: &str, i: usize) -> R<Rc<ProcessHandle>> {
    let (server, name) = (server.clone(), pool.to_string());
    match process::spawn(interp, false, move |it| work(it, &server, &name, i))? {
        Value::Handle(Handle::Process(h)) => {
            *h.name.borrow_mut() = format!("RemoteWorker-{}", i + 1);
            Ok(h)
        }
        _ => Err(ErrorObj::new(ErrorKind::ProcessError, "could not start a worker")),
    }
}

/// One worker's loop; its exit code.
fn work(interp: &mut (impl Host + ?Sized), server: &Rc<Server>, pool: &str, i: usize) -> i32 {
    // The host in its name: a task's error names the machine it ran on.
    let name = format!("RemoteWorker-{}@{}", i + 1, super::host());
    table::set_name_at(interp.rt.slot, &name);
    interp.process.name = name;
    keep_freed_memory();
    match serve_tasks(interp, server, pool) {
        Ok(()) => 0,
        Err(e) if e.ends_program() => 1,
        Err(e) => {
            let e = interp.own(e);
            output::eprint(&interp.render_error(&e));
            1
        }
    }
}

fn serve_tasks(interp: &mut (impl Host + ?Sized), server: &Rc<Server>, pool: &str) -> R<()> {
    let tasks = task_queue(server.clone(), pool)?;
    let mut last = LastFn::default();
    let mut out = Vec::new();
    loop {
        let Some(item) = tasks.get_item(interp, true, None, Span::default())? else { continue };
        let task = Task::parse(&item)?;
        out.clear();
        if task.attempts >= MAX_ATTEMPTS {
            let e = ErrorObj::new(
                ErrorKind::ProcessError,
                format!("{} workers died while running this task; it is not tried again", task.attempts),
            );
            fail_task(interp, &task.bytes, e, &mut out);
        } else if !run_task(interp, &mut last, &task.bytes, &mut out) {
            continue;
        }
        task.reply(server, &out)?;
        // Finished: the held task is released (and the count of the queue).
        tasks.task_done()?;
    }
}
