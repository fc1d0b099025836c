//! Inputs that once crashed the interpreter (a panic, an abort, a stack
//! overflow) now give a clear result: the right output, or one diagnostic
//! of the right kind, and a defined exit code. Each case runs through the
//! real binary, with the usual check that no process is left behind.

mod common;

use common::{run, run_args, run_with};

/// Runs `code`; it must exit with `code` and print exactly `stdout`.
fn expect_output(hint: &str, code: &str, exit: i32, stdout: &str) {
    let out = run(hint, code);
    assert_eq!(out.code, Some(exit), "{hint}: {out:?}");
    assert_eq!(out.stdout, stdout, "{hint}: {out:?}");
    assert!(!out.stderr.contains("panicked"), "{hint}: {out:?}");
}

/// Runs `code`; it must fail with exit 1 and one `kind` diagnostic saying `message`.
fn expect_error(hint: &str, code: &str, kind: &str, message: &str) {
    expect_error_code(hint, code, 1, kind, message);
}

fn expect_error_code(hint: &str, code: &str, exit: i32, kind: &str, message: &str) {
    let out = run(hint, code);
    assert_eq!(out.code, Some(exit), "{hint}: {out:?}");
    assert_eq!(out.stderr.matches(" × ").count(), 1, "{hint}: one diagnostic\n{}", out.stderr);
    assert!(out.stderr.contains(&format!("× {kind}: ")), "{hint}: {}", out.stderr);
    assert!(out.stderr.contains(message), "{hint}: {}", out.stderr);
    assert!(out.stderr.contains("in process MainProcess"), "{hint}: {}", out.stderr);
}

#[test]
fn huge_timeouts_mean_no_limit() {
    let code = r#"
queue q
q.put(2, timeout=1e300)
print(q.get(timeout=1e300))
q.task_done()
print(q.join(1e300))
event e
e.set()
print(e.wait(9223372036854775807))
let pp = pipe()
pp[1].send(1)
print(pp[0].poll(1e300))
(spawn { }).join(1e300)
sem s = 1
print(s.acquire(timeout=1e300))
lock l
print(l.acquire(timeout=1e19))
pool p = 1
let r = p.apply_async(fn() { return 42 })
print(r.get(1e300))
r.wait(1e300)
p.close()
p.join()
sleep(0)
"#;
    expect_output("huge_timeouts", code, 0, "2\nnil\ntrue\ntrue\ntrue\ntrue\n42\n");
}

#[test]
fn a_lock_holder_waiting_without_limit_is_a_deadlock() {
    let code = "lock l\nl.acquire()\nl.acquire(timeout=1e19)\n";
    expect_error_code("holder_huge_timeout", code, 3, "Deadlock", "this process already holds the lock");
}

#[test]
fn negative_or_nan_timeouts_are_value_errors() {
    for (hint, call) in [
        ("get_neg", "queue q\nq.get(timeout=-1)"),
        ("wait_nan", "event e\ne.wait(float(\"nan\"))"),
        ("join_neg", "(spawn { }).join(-0.5)"),
        ("acquire_neg", "lock l\nl.acquire(timeout=-1)"),
    ] {
        expect_error(hint, call, "ValueError", "timeout must be a non-negative number");
    }
    expect_error("sleep_neg", "sleep(-1)", "ValueError", "sleep() needs a non-negative number of seconds");
    expect_error("sleep_nan", "sleep(float(\"nan\"))", "ValueError", "sleep() needs a non-negative number");
}

#[test]
fn int_checks_its_base_as_python_does() {
    for base in ["99", "-1", "1", "37"] {
        expect_error(
            "int_base",
            &format!("int(\"ff\", {base})"),
            "ValueError",
            "int() base must be >= 2 and <= 36, or 0",
        );
    }
    expect_error("int_base0", "int(\"ff\", 0)", "ValueError", "invalid int in base 0: \"ff\"");
    expect_error("int_base0_zero", "int(\"010\", 0)", "ValueError", "invalid int in base 0");
    expect_error("int_base_nonstr", "int(5, 2)", "TypeError", "int() can't convert non-string with explicit base");
    let code = "print(int(\"0xff\", 0), int(\"0b101\", 0), int(\"0o17\", 0), int(\"-0x10\", 16), int(\"z\", 36), \
                int(\"1_000\"), int(\"-9223372036854775808\"), int(\"0\", 0))";
    expect_output("int_ok", code, 0, "255 5 15 -16 35 1000 -9223372036854775808 0\n");
}

#[test]
fn impossible_sizes_are_memory_errors() {
    expect_error("str_repeat", "print(\"ab\" * 99999999999)", "MemoryError", "the string would be larger than 1 GiB");
    expect_error("list_repeat", "print([0] * 9223372036854775807)", "MemoryError", "the list would have more");
    expect_error("json_indent", "json_str([1], 9223372036854775807)", "MemoryError", "the string would be larger");
    expect_error("str_doubling", "let s = \"abcdefgh\"\nwhile true { s = s + s }", "MemoryError", "the string");
    expect_error("list_doubling", "let s = [1, 2]\nwhile true { s += s }", "MemoryError", "the list would");
}

#[test]
fn cyclic_values_compare_sort_and_print() {
    let code = r#"
let a = []
a.append(a)
let b = []
b.append(b)
print(a == b, a == a, a != b)
let c = [1]
c.append(c)
let d = [2]
d.append(d)
print(c == d, c < d)
print(sorted([a, [a]]))
let x = {}
x["self"] = x
let y = {}
y["self"] = y
print(x == y, x)
"#;
    expect_output("cyclic", code, 0, "true true false\nfalse true\n[[[...]], [[[...]]]]\ntrue {\"self\": {...}}\n");
}

#[test]
fn a_shared_object_holding_itself_prints() {
    let code = "shared s = {}\ns[\"b\"] = s\nprint(s.snapshot())\nprint(s)\n";
    let want = "{\"b\": {\"b\": {...}}}\n{\"b\": {...}}\n";
    expect_output("shared_self", code, 0, want);
}

#[test]
fn deep_values_print_compare_and_drop() {
    let code = r#"
fn nest(n) {
    let top = []
    let x = top
    for i in 0..n { let b = []; x.append(b); x = b }
    return top
}
let a = nest(100000)
let b = nest(100000)
print(len(str(a)), a == b, a < b)
let head = nil
for i in 0..300000 { head = [i, head] }
head = nil
let d = nil
for i in 0..300000 { d = {"v": i, "next": d} }
d = nil
print("dropped")
"#;
    expect_output("deep", code, 0, "200002 true false\ndropped\n");
}

#[test]
fn deep_or_cyclic_values_crossing_processes_are_value_errors() {
    let deep = "let a = []\nlet x = a\nfor i in 0..100000 { let b = []; x.append(b); x = b }\n";
    expect_error("deep_queue", &format!("{deep}queue q\nq.put(a)"), "ValueError", "cannot send a value nested");
    expect_error("deep_shared", &format!("{deep}shared s = {{}}\ns[\"x\"] = a"), "ValueError", "cannot send");
    expect_error("deep_json", &format!("{deep}json_str(a)"), "ValueError", "json_str(): value is nested too deeply");
    let cyclic = "let c = []\nc.append(c)\n";
    expect_error("cyclic_json", &format!("{cyclic}json_str(c)"), "ValueError", "nested too deeply");
    expect_error("cyclic_queue", &format!("{cyclic}queue q\nq.put(c)"), "ValueError", "cannot send");
}

#[test]
fn exit_codes_follow_the_os_rule_everywhere() {
    for (code, status) in [("-1", 255), ("256", 0), ("257", 1), ("9223372036854775807", 255), ("3", 3)] {
        let out = run("exit_main", &format!("exit({code})"));
        assert_eq!(out.code, Some(status), "exit({code}) in main: {out:?}");
        let child = format!("let p = spawn {{ exit({code}) }}\np.join()\nprint(p.exitcode)");
        let out = run("exit_child", &child);
        assert_eq!((out.code, out.stdout.trim()), (Some(0), status.to_string().as_str()), "exit({code}) in a child");
    }
}

#[test]
fn max_procs_out_of_range_is_a_usage_error() {
    for n in ["4294967295", "0", "65537"] {
        let code = format!("print(1) # max-procs-{n}-{}", std::process::id());
        let out = run_args(&["--max-procs", n, "-e", &code], &code);
        assert_eq!(out.code, Some(2), "--max-procs {n}: {out:?}");
        assert!(out.stderr.contains("--max-procs must be between 1 and 65536"), "{}", out.stderr);
        assert!(out.stdout.is_empty());
    }
    let out = run_with(&["--max-procs", "65536"], "max_procs_top", "let p = spawn { }\np.join()\nprint(p.exitcode)\n");
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "0\n"), "{out:?}");
}

#[test]
fn a_huge_timeout_option_means_no_limit() {
    let out = run_with(&["--timeout", "1e300"], "timeout_option_huge", "sleep(0.01)\nprint(\"done\")\n");
    assert_eq!((out.code, out.stdout.as_str()), (Some(0), "done\n"), "{out:?}");
}
