//! `enumerate` and `zip`: lists of pairs (or tuples as lists), so they
//! work in `for i, x in enumerate(xs)` and anywhere else a list does.
//! Also `items_in`: the items of anything a builtin can go through, a pool's
//! result iterator (`p.imap(…)`) included.

use super::{items_of, BResult};
use crate::runtime::Host;
use crate::value::{expect_int, Args, BuiltinFn, Value};

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("enumerate", enumerate), ("zip", zip)];

/// The items of `v`; a result iterator is run to its end (waiting for its
/// results), so `sorted(p.imap_unordered(f, xs))` works as in Python.
pub(crate) fn items_in(
    interp: &mut dyn Host,
    v: &Value,
    func: &str,
) -> Result<Vec<Value>, Box<crate::diagnostics::ErrorObj>> {
    let Value::Handle(crate::runtime::Handle::Results(r)) = v else { return items_of(v, func) };
    let mut out = Vec::new();
    while let Some(item) = r.next_item(interp, None, crate::syntax::span::Span::default())? {
        out.push(item);
    }
    Ok(out)
}

/// `enumerate(xs, start=0)`: `[[start, xs[0]], [start + 1, xs[1]], …]`.
fn enumerate(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["start"])?;
    let items = items_in(interp, a.get(0), "enumerate")?;
    let start = match a.opt(1, "start") {
        Some(v) => expect_int(v, "enumerate", "start")?,
        None => 0,
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, x) in items.into_iter().enumerate() {
        let n = start.checked_add(i as i64).ok_or_else(|| {
            crate::diagnostics::ErrorObj::new(
                crate::diagnostics::ErrorKind::OverflowError,
                "enumerate(): the count overflows",
            )
        })?;
        out.push(Value::list(vec![Value::Int(n), x]));
    }
    Ok(Value::list(out))
}

/// `zip(xs, ys, …)`: `[[xs[0], ys[0], …], …]`, as long as the shortest.
fn zip(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, usize::MAX, &[])?;
    let lists = a.pos.iter().map(|v| items_in(interp, v, "zip")).collect::<Result<Vec<_>, _>>()?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    let mut iters: Vec<_> = lists.into_iter().map(Vec::into_iter).collect();
    let out = (0..n).map(|_| Value::list(iters.iter_mut().filter_map(Iterator::next).collect())).collect();
    Ok(Value::list(out))
}
