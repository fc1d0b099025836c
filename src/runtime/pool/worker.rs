//! The worker side of a pool: a daemon child looping on the task queue,
//! running each chunk and putting its outcomes on the result queue.

use super::{busy_word, table, Queue, R};
use crate::diagnostics::{ErrorObj, Flow};
use crate::eval::Interp;
use crate::runtime::shm::Offset;
use crate::syntax::span::Span;
use crate::value::{wire, Value};
use std::sync::atomic::Ordering::SeqCst;

pub(super) fn worker_main(interp: &mut Interp, index: usize, tasks: Queue, results: Queue, word: Offset) -> i32 {
    let name = format!("PoolWorker-{}", index + 1);
    table::set_name_at(interp.rt.slot, &name);
    interp.process.name = name;
    let busy = busy_word(word);
    let span = Span::default();
    loop {
        let Ok(bytes) = tasks.get(interp, true, None, span) else { return 1 };
        if bytes.len() < 8 {
            return 0;
        }
        let id = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        busy.store(id, SeqCst);
        let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
        let mut out = id.to_le_bytes().to_vec();
        out.extend(run_chunk(interp, &bytes[8..], count));
        if results.put(interp, &out, true, None, span).is_err() {
            return 1;
        }
        busy.store(0, SeqCst);
    }
}

/// Run every call of a chunk; the encoded outcomes: `[values, failures]`,
/// a failure being `[index, kind, message, diagnostic]` (its value is nil).
fn run_chunk(interp: &mut Interp, bytes: &[u8], count: usize) -> Vec<u8> {
    let mut values = Vec::with_capacity(count);
    let mut failures = Vec::new();
    match decode_chunk(interp, bytes) {
        Ok((f, star, items)) => {
            for (i, item) in items.into_iter().enumerate() {
                let args = match (star, item) {
                    (true, Value::List(args)) => args.borrow().clone(),
                    (_, item) => vec![item],
                };
                match run_one(interp, &f, args) {
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
    let msg = Value::list(vec![Value::list(values.clone()), Value::list(failures.clone())]);
    match wire::encode(interp, &msg) {
        Ok(b) => b,
        // Some result cannot be sent back: that call fails, the others stand.
        Err(_) => {
            for (i, v) in values.iter_mut().enumerate() {
                if let Err(e) = wire::encode(interp, v) {
                    *v = Value::Nil;
                    failures.push(failure(interp, i, e));
                }
            }
            let msg = Value::list(vec![Value::list(values), Value::list(failures)]);
            wire::encode(interp, &msg).unwrap_or_default()
        }
    }
}

/// A task message: the function, whether items are argument lists, the items.
fn decode_chunk(interp: &mut Interp, bytes: &[u8]) -> R<(Value, bool, Vec<Value>)> {
    let msg = wire::decode(interp, bytes)?;
    let bad = || ErrorObj::new("ValueError", "a pool task arrived damaged");
    let Value::List(parts) = msg else { return Err(bad()) };
    let parts = parts.borrow();
    let (Some(f), Some(star), Some(Value::List(items))) = (parts.first(), parts.get(1), parts.get(2)) else {
        return Err(bad());
    };
    let items = items.borrow().clone();
    Ok((f.clone(), star.truthy(), items))
}

fn run_one(interp: &mut Interp, f: &Value, args: Vec<Value>) -> R<Value> {
    match interp.call_value(f, args, Vec::new(), Span::default()) {
        Ok(v) => Ok(v),
        Err(Flow::Error(e)) => Err(e),
        Err(Flow::Exit(code)) => Err(ErrorObj::new("SystemExit", format!("a pool task called exit({code})"))),
        Err(_) => Ok(Value::Nil),
    }
}

/// An error as it travels back: kind, message and the worker's diagnostic.
fn failure(interp: &Interp, index: usize, mut e: Box<ErrorObj>) -> Value {
    // The worker's own call of the task has no place in the script.
    e.trace.retain(|(_, s)| *s != Span::default());
    let e = interp.own(e);
    let diagnostic = interp.render_error(&e);
    Value::list(vec![Value::Int(index as i64), Value::str(&e.kind), Value::str(&e.message), Value::str(&diagnostic)])
}
