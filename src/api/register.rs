//! Typed host functions: Rust closures of a few argument and return types
//! become mpscript builtins.

use crate::value::{type_name, HostFn, Value};
use std::rc::Rc;

/// A Rust type a script value can be converted to.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self, String>;
}

/// A Rust type that converts to a script value.
pub trait IntoValue {
    fn into_value(self) -> Value;
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i),
            other => Err(format!("expected an int, got {}", type_name(other))),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            other => Err(format!("expected a number, got {}", type_name(other))),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self, String> {
        Ok(v.truthy())
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self, String> {
        match v {
            Value::Str(s) => Ok(s.to_string()),
            other => Err(format!("expected a str, got {}", type_name(other))),
        }
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Int(self)
    }
}

impl IntoValue for f64 {
    fn into_value(self) -> Value {
        Value::Float(self)
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::Str(self.into())
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::Str(self.into())
    }
}

impl IntoValue for () {
    fn into_value(self) -> Value {
        Value::Nil
    }
}

impl<T: IntoValue, E: std::fmt::Display> IntoValue for Result<T, E> {
    fn into_value(self) -> Value {
        match self {
            Ok(v) => v.into_value(),
            Err(e) => Value::Error(Rc::new(*crate::diagnostics::ErrorObj::new(
                crate::diagnostics::ErrorKind::user("Error"),
                e.to_string(),
            ))),
        }
    }
}

/// A closure that can be registered with `Engine::register_fn`.
pub trait HostFunction<Args> {
    fn into_host(self) -> HostFn;
}

macro_rules! host_function {
    ($($arg:ident),*) => {
        impl<F, R, $($arg),*> HostFunction<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> R + 'static,
            R: IntoValue,
            $($arg: FromValue,)*
        {
            #[allow(non_snake_case, unused_variables, unused_mut)]
            fn into_host(self) -> HostFn {
                const N: usize = <[&str]>::len(&[$(stringify!($arg)),*]);
                Rc::new(move |args: &[Value]| {
                    if args.len() != N {
                        return Err(format!("takes {} argument{}, got {}", N, if N == 1 { "" } else { "s" }, args.len()));
                    }
                    let mut it = args.iter();
                    $(let $arg = $arg::from_value(it.next().unwrap_or(&Value::Nil))?;)*
                    Ok(self($($arg),*).into_value())
                })
            }
        }
    };
}

host_function!();
host_function!(A);
host_function!(A, B);
host_function!(A, B, C);
host_function!(A, B, C, D);
