//! Operating-system builtins that need no child processes.

use super::BResult;
use crate::eval::Interp;
use crate::value::{Args, BuiltinFn, Value};

pub const BUILTINS: &[(&str, BuiltinFn)] = &[("getpid", getpid), ("getppid", getppid), ("cpu_count", cpu_count)];

fn getpid(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getpid().as_raw() as i64))
}

fn getppid(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(nix::unistd::getppid().as_raw() as i64))
}

fn cpu_count(_: &mut Interp, a: &mut Args) -> BResult {
    a.check(0, 0, &[])?;
    Ok(Value::Int(std::thread::available_parallelism().map_or(1, |n| n.get()) as i64))
}
