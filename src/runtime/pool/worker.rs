//! The worker side of a pool: a daemon child looping on the task queue,
//! running each chunk and putting its outcomes on the result queue.

use super::jobs::take_list;
use super::{busy_word, table, Queue, Setup, INIT_FAILED, R, RETIRED, TASK_HEADER};
use crate::diagnostics::{ErrorKind, ErrorObj, Flow};
use crate::runtime::shm::Offset;
use crate::runtime::Host;
use crate::syntax::span::Span;
use crate::value::{wire, Value};
use std::rc::Rc;
use std::sync::atomic::Ordering::SeqCst;

pub(super) fn worker_main(
    interp: &mut (impl Host + ?Sized),
    index: usize,
    tasks: Queue,
    results: Queue,
    word: Offset,
    setup: &Setup,
) -> i32 {
    let name = format!("PoolWorker-{}", index + 1);
    table::set_name_at(interp.rt.slot, &name);
    interp.process.name = name;
    keep_freed_memory();
    let busy = busy_word(word);
    let span = Span::default();
    if let Some(init) = &setup.initializer {
        if let Err(e) = interp.run_initializer(init, setup.initargs.clone()) {
            // Said here, where the diagnostic is; the owner stops the pool.
            let e = interp.own(e);
            crate::runtime::output::eprint(&interp.render_error(&e));
            busy.store(INIT_FAILED, SeqCst);
            return 1;
        }
    }
    let mut done: u64 = 0;
    let mut last = LastFn::default();
    let mut out = Vec::new();
    loop {
        // Taking a chunk and marking it as ours is one step: killed at any
        // moment, this worker is seen holding the chunk or never took it.
        let Ok(bytes) = tasks.get_claimed(interp, busy, span) else { return 1 };
        if bytes.len() < TASK_HEADER {
            return 0;
        }
        let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        out.clear();
        out.extend(id.to_le_bytes());
        run_chunk(interp, &mut last, &bytes[8..], count, &mut out);
        if results.put(interp, &out, true, None, span).is_err() {
            return 1;
        }
        busy.store(0, SeqCst);
        done += 1;
        if setup.maxtasks.is_some_and(|k| done >= k) {
            // A fresh worker takes over (the owner starts it when it sees this).
            busy.store(RETIRED, SeqCst);
            return 0;
        }
    }
}

/// Run one task's bytes (as `jobs::submit` makes them) and append its
/// result message to `out`; `false` for bytes that are no task (the exit
/// message of a local pool). Remote workers run the same bytes.
pub(crate) fn run_task(interp: &mut (impl Host + ?Sized), last: &mut LastFn, bytes: &[u8], out: &mut Vec<u8>) -> bool {
    if bytes.len() < TASK_HEADER {
        return false;
    }
    let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    out.extend_from_slice(&bytes[..4]);
    run_chunk(interp, last, &bytes[8..], count, out);
    true
}

/// The result of a task that is not run: every call fails with `e`.
pub(crate) fn fail_task(interp: &mut (impl Host + ?Sized), bytes: &[u8], e: Box<ErrorObj>, out: &mut Vec<u8>) {
    if bytes.len() < TASK_HEADER {
        return;
    }
    let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    out.extend_from_slice(&bytes[..4]);
    let values = Value::list(vec![Value::Nil; count]);
    let failures = Value::list(vec![failure(interp, 0, e)]);
    let _ = wire::encode_into(interp.codec(), &Value::list(vec![values, failures]), out);
}

/// A worker allocates and frees buffers of the same sizes for every chunk;
/// by default glibc hands large ones back to the OS on free and the next
/// chunk faults them in again, page by page (measured: a third of the
/// decode and encode time of a chunk of 12,500 ints). A worker keeps them.
pub(crate) fn keep_freed_memory() {
    #[cfg(target_env = "gnu")]
    // SAFETY: mallopt only tunes this process's allocator; no other thread
    // exists (a forked child has one).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
}

/// The function of the last task, decoded: every chunk of a job, and every
/// call of a loop of `apply_async(f, …)`, sends the same bytes. Only a
/// function that captures nothing is kept: one that captures variables
/// gets a fresh copy of them with every task, as if it came alone.
#[derive(Default)]
pub(crate) struct LastFn {
    bytes: Vec<u8>,
    f: Option<Value>,
}

impl LastFn {
    fn get(&mut self, interp: &mut (impl Host + ?Sized), bytes: &[u8]) -> R<Value> {
        match &self.f {
            Some(f) if self.bytes == bytes => return Ok(f.clone()),
            _ => self.f = None,
        }
        let f = wire::decode(interp.codec_mut(), bytes)?;
        let keep = match &f {
            Value::Native(_) => true,
            Value::Func(c) => c.env.as_ref().is_none_or(|env| env.slots.borrow().is_empty()),
            _ => false,
        };
        if keep {
            self.bytes.clear();
            self.bytes.extend_from_slice(bytes);
            self.f = Some(f.clone());
        }
        Ok(f)
    }
}

/// Run every call of a chunk; append the encoded outcomes to `out`:
/// `[values, failures]`, a failure being `[index, error (kind and
/// message), diagnostic]` (its value is nil).
fn run_chunk(interp: &mut (impl Host + ?Sized), last: &mut LastFn, bytes: &[u8], count: usize, out: &mut Vec<u8>) {
    let mut values = Vec::with_capacity(count);
    let mut failures = Vec::new();
    match decode_chunk(interp, last, bytes) {
        Ok((f, mode, items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let (args, kw) = match (mode, item) {
                    (1, Value::List(args)) => (take_list(args), Vec::new()),
                    (2, Value::List(pair)) => args_and_keywords(pair),
                    (_, item) => (vec![item], Vec::new()),
                };
                match run_one(interp, &f, args, kw) {
                    Ok(v) => values.push(v),
                    Err(e) => {
                        values.push(Value::Nil);
                        failures.push(failure(interp, i, e));
                    }
                }
            }
        }
        Err(e) => {
            values = vec![Value::Nil; count];
            failures = (0..count).map(|i| failure(interp, i, e.clone())).collect();
        }
    }
    let (values, failures) = (Value::list(values), Value::list(failures));
    let msg = Value::list(vec![values.clone(), failures.clone()]);
    let header = out.len();
    if wire::encode_into(interp.codec(), &msg, out).is_ok() {
        return;
    }
    // Some result cannot be sent back: that call fails, the others stand.
    out.truncate(header);
    if let (Value::List(values), Value::List(failures)) = (&values, &failures) {
        for (i, v) in values.borrow_mut().iter_mut().enumerate() {
            if let Err(e) = wire::encode(interp.codec(), v) {
                *v = Value::Nil;
                failures.borrow_mut().push(failure(interp, i, e));
            }
        }
    }
    if wire::encode_into(interp.codec(), &msg, out).is_err() {
        out.truncate(header);
    }
}

/// `[argument list, {keyword: value}]` of an apply with `kwds=` (the
/// owner checked that the keys are strings).
fn args_and_keywords(pair: crate::value::List) -> (Vec<Value>, Vec<(crate::value::Str, Value)>) {
    let mut parts = take_list(pair).into_iter();
    let args = match parts.next() {
        Some(Value::List(args)) => take_list(args),
        _ => Vec::new(),
    };
    let kw = match parts.next() {
        Some(Value::Dict(d)) => d
            .borrow()
            .iter()
            .filter_map(|(k, v)| match k {
                crate::value::Key::Str(k) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    (args, kw)
}

/// A task after its chunk id and count: the function, what its items are
/// (`jobs::Mode` as a byte), the items.
fn decode_chunk(interp: &mut (impl Host + ?Sized), last: &mut LastFn, bytes: &[u8]) -> R<(Value, u8, Vec<Value>)> {
    let bad = || ErrorObj::new(ErrorKind::ValueError, "a pool task arrived damaged");
    let (&star, rest) = bytes.split_first().ok_or_else(bad)?;
    let (len, rest) = rest.split_first_chunk::<4>().ok_or_else(bad)?;
    let len = u32::from_le_bytes(*len) as usize;
    if rest.len() < len {
        return Err(bad());
    }
    let (func, items) = rest.split_at(len);
    let f = last.get(interp, func)?;
    let Value::List(items) = wire::decode(interp.codec_mut(), items)? else { return Err(bad()) };
    Ok((f, star, take_list(items)))
}

fn run_one(
    interp: &mut (impl Host + ?Sized),
    f: &Value,
    args: Vec<Value>,
    kw: Vec<(crate::value::Str, Value)>,
) -> R<Value> {
    match interp.call_value(f, args, kw, Span::default()) {
        Ok(v) => Ok(v),
        Err(Flow::Error(e)) => Err(e),
        Err(Flow::Exit(code)) => Err(ErrorObj::new(ErrorKind::SystemExit, format!("a pool task called exit({code})"))),
        Err(_) => Ok(Value::Nil),
    }
}

/// An error as it travels back: kind, message and the worker's diagnostic.
fn failure(interp: &(impl Host + ?Sized), index: usize, mut e: Box<ErrorObj>) -> Value {
    // The worker's own call of the task has no place in the script.
    e.trace.retain(|(_, s)| *s != Span::default());
    let e = interp.own(e);
    let diagnostic = interp.render_error(&e);
    Value::list(vec![
        Value::Int(index as i64),
        // Kind and message as an error value: the wire keeps the kind's variant.
        Value::Error(Rc::new(*ErrorObj::new(e.kind.clone(), e.message.clone()))),
        Value::str(&diagnostic),
    ])
}
