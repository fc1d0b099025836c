//! `input(prompt)` and the local-time builtins `ctime` and `strftime`.

use super::BResult;
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::table::WaitKind;
use crate::runtime::{wait, Host};
use crate::value::{display, expect_float, expect_str, Args, BuiltinFn, Value};

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("input", input), ("ctime", ctime), ("strftime", strftime)];

/// `input(prompt="")`: the prompt in one write (no newline), then one line
/// of stdin without its newline; `EOFError` at the end of input.
///
/// Stdin is read without a buffer of our own (byte by byte from a pipe or
/// terminal; from a regular file in chunks, seeking back past the line), so
/// a process forked later never sees input its parent had read ahead.
fn input(interp: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 1, &["prompt"])?;
    if let Some(p) = a.opt(0, "prompt") {
        let text = display(p);
        if !text.is_empty() {
            crate::runtime::output::print_line(interp, &text)?;
        }
    }
    let mut line: Vec<u8> = Vec::new();
    // SAFETY: lseek only queries fd 0's position; on a pipe it just fails.
    let seekable = unsafe { libc::lseek(0, 0, libc::SEEK_CUR) } >= 0;
    let mut chunk = [0u8; 4096];
    let mut rec = None;
    loop {
        // Waiting for a line is waiting for the outside world: recorded (for
        // `:ps`, `--trace`), never a deadlock, ended at once by Ctrl-C.
        if !seekable && !stdin_ready() {
            if rec.is_none() {
                rec = Some(wait::begin(interp, WaitKind::Input, a.span, 0, false)?);
            }
            wait::readable(interp, 0, None)?;
        }
        let want = if seekable { chunk.len() } else { 1 };
        // SAFETY: reading into a buffer of at least `want` bytes.
        let n = crate::runtime::thread::unlocked(interp, || unsafe { libc::read(0, chunk.as_mut_ptr().cast(), want) });
        if n > 0 {
            let got = &chunk[..n as usize];
            if let Some(i) = got.iter().position(|b| *b == b'\n') {
                line.extend_from_slice(&got[..i]);
                let extra = got.len() - i - 1;
                if extra > 0 {
                    // SAFETY: seek back over what belongs to later lines.
                    unsafe { libc::lseek(0, -(extra as libc::off_t), libc::SEEK_CUR) };
                }
                break;
            }
            line.extend_from_slice(got);
            continue;
        }
        if n == 0 {
            if line.is_empty() {
                return Err(ErrorObj::new(ErrorKind::EOFError, "input(): end of input (EOF when reading a line)"));
            }
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() == std::io::ErrorKind::Interrupted {
            if crate::runtime::signals::ANY_PENDING.load(std::sync::atomic::Ordering::Relaxed) {
                crate::runtime::safe_point(interp)?;
            }
            continue;
        }
        return Err(ErrorObj::new(ErrorKind::IOError, format!("input(): cannot read stdin: {err}")));
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Value::str(&String::from_utf8_lossy(&line)))
}

/// Whether a read of stdin would return at once.
fn stdin_ready() -> bool {
    let mut pfd = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, no waiting.
    unsafe { libc::poll(&mut pfd, 1, 0) != 0 }
}

/// Local time of `secs` since the epoch (now when `None`), by libc.
fn local_time(v: Option<&Value>, func: &str) -> Result<libc::tm, Box<ErrorObj>> {
    let secs = match v {
        None | Some(Value::Nil) => {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs_f64()
        }
        Some(v) => expect_float(v, func, "the time")?,
    };
    let out_of_range =
        || ErrorObj::new(ErrorKind::OverflowError, format!("{func}(): timestamp out of range for the local time"));
    if !secs.is_finite() || secs.abs() > 1e17 {
        return Err(out_of_range());
    }
    let t = secs.floor() as libc::time_t;
    // SAFETY: localtime_r writes into the `tm` we own; a zeroed tm is valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; localtime_r is reentrant.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return Err(out_of_range());
    }
    Ok(tm)
}

/// libc's strftime of `fmt`, growing the buffer while the result may not fit.
fn format_tm(fmt: &str, tm: &libc::tm, func: &str) -> Result<String, Box<ErrorObj>> {
    let cfmt = std::ffi::CString::new(fmt)
        .map_err(|_| ErrorObj::new(ErrorKind::ValueError, format!("{func}(): the format contains a NUL character")))?;
    if fmt.is_empty() {
        return Ok(String::new());
    }
    let mut size = 256 + fmt.len() * 4;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: buf has `size` bytes; strftime writes at most that many.
        let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), size, cfmt.as_ptr(), tm) };
        if n > 0 {
            buf.truncate(n);
            return Ok(String::from_utf8_lossy(&buf).into_owned());
        }
        // 0: empty result or too small a buffer. Each conversion gives at
        // most a few dozen bytes, so past this size the result is empty.
        if size > 64 * (fmt.len() + 16) {
            return Ok(String::new());
        }
        size *= 4;
    }
}

/// `ctime(secs=now)`: `"Tue Dec  1 15:17:55 2026"` in local time.
fn ctime(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(0, 1, &["secs"])?;
    let tm = local_time(a.opt(0, "secs"), "ctime")?;
    Ok(Value::str(&format_tm("%a %b %e %H:%M:%S %Y", &tm, "ctime")?))
}

/// `strftime(fmt, t=now)`: local time `t` (seconds since the epoch)
/// formatted by C's strftime (`%Y-%m-%d %H:%M:%S`…).
fn strftime(_: &mut dyn Host, a: &mut Args) -> BResult {
    a.check(1, 2, &["t"])?;
    let fmt = expect_str(a.get(0), "strftime", "the format")?;
    let tm = local_time(a.opt(1, "t"), "strftime")?;
    Ok(Value::str(&format_tm(&fmt, &tm, "strftime")?))
}
