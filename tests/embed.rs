//! The embedding API.

use mpscript::{Engine, ErrorKind, Value};

#[test]
fn host_functions_are_callable_from_scripts() {
    let mut engine = Engine::new();
    engine.register_fn("double", |x: i64| x * 2);
    engine.register_fn("greet", |name: String| format!("hello, {name}"));
    assert_eq!(engine.eval("2 + double(20)").unwrap(), Value::Int(42));
    assert_eq!(engine.eval("greet(\"mp\")").unwrap(), Value::str("hello, mp"));
}

#[test]
fn globals_persist_between_evals() {
    let mut engine = Engine::new();
    engine.eval("fn sq(x) { return x * x }\nlet base = 3").unwrap();
    assert_eq!(engine.eval("sq(base)").unwrap(), Value::Int(9));
}

#[test]
fn errors_come_back_as_diagnostics() {
    let mut engine = Engine::new();
    let err = engine.eval("1 / 0").unwrap_err();
    assert_eq!(err.kind, ErrorKind::ZeroDivisionError);
    assert!(err.rendered.contains("division by zero"), "{}", err.rendered);
    // A host function's Err becomes an error value the script can throw.
    engine.register_fn("boom", |x: i64| -> Result<i64, String> { Err(format!("no {x}")) });
    let err = engine.eval("let e = boom(1)\nthrow e").unwrap_err();
    assert_eq!((err.kind.name(), err.message.as_str()), ("Error", "no 1"));
}

/// The test harness runs tests on threads, so this process has several:
/// forking now could hang the child, and `spawn` must say so instead.
#[test]
fn spawning_from_a_threaded_host_is_refused() {
    let mut engine = Engine::new();
    let err = engine.eval("let p = spawn { print(1) }").unwrap_err();
    assert_eq!(err.kind, ErrorKind::ProcessError);
    assert!(err.message.contains("threads"), "{}", err.message);
}
