//! Processes through the real binary: spawn, handles,
//! exit codes, the end of the program, output, signals, and the scripts in
//! `scripts/`. Every run happens in its own process group, and after it ends
//! the helpers check /proc that no process of it is left (no orphan, no
//! zombie). Concurrent output is checked by its properties, never by one
//! interleaving.

mod common;

use common::{run, start, zombies_of, Script};
use std::collections::BTreeSet;
use std::time::Duration;

#[test]
fn a_child_changes_only_its_own_copy_of_memory() {
    let out = run(
        "isolation",
        r#"
let n = 1
let xs = [1, 2]
let d = {"k": "parent"}
fn child() {
    print("child sees", n, xs, d)
    n = 99
    xs.push(3)
    d["k"] = "child"
    print("child changed", n, xs, d)
}
let p = spawn child()
n = 2                      # after the spawn: the child's copy is not touched
p.join()
print("parent has", n, xs, d, p.exitcode)
"#,
    );
    assert_eq!(
        out.stdout,
        "child sees 1 [1, 2] {\"k\": \"parent\"}\n\
         child changed 99 [1, 2, 3] {\"k\": \"child\"}\n\
         parent has 2 [1, 2] {\"k\": \"parent\"} 0\n",
        "stderr: {}",
        out.stderr
    );
    assert_eq!(out.code, Some(0));
}

#[test]
fn every_exitcode_case() {
    let out = run(
        "exitcodes",
        r#"
fn ok() { }
fn fails() { let x = 1 / 0 }
fn leaves(n) { fn deeper() { exit(n) } deeper(); print("not reached") }
fn sleeper() { sleep(60) }
let p = spawn ok();       p.join(); print("normal", p.exitcode)
p = spawn fails();        p.join(); print("error", p.exitcode)
p = spawn leaves(7);      p.join(); print("exit", p.exitcode)
p = spawn leaves(0);      p.join(); print("exit0", p.exitcode)
p = spawn { throw "x" };  p.join(); print("throw", p.exitcode)
p = spawn sleeper();      print("running", p.exitcode, p.is_alive())
p.terminate();            p.join(); print("terminate", p.exitcode, p.is_alive())
p = spawn sleeper();      p.kill(); p.join(); print("kill", p.exitcode)
p = spawn sleeper();      kill(p.pid, "SIGUSR1"); p.join(); print("signal", p.exitcode)
p.join(); p.terminate(); p.kill(); print("again", p.exitcode)
"#,
    );
    assert_eq!(
        out.stdout,
        "normal 0\nerror 1\nexit 7\nexit0 0\nthrow 1\nrunning nil true\nterminate -15 false\nkill -9\n\
         signal -10\nagain -10\n",
        "stderr: {}",
        out.stderr
    );
    assert!(!out.stdout.contains("not reached"));
    assert_eq!(out.code, Some(0));
}

#[test]
fn handles_show_pid_name_and_daemon() {
    let out = run(
        "handles",
        r#"
let a = spawn { }
let b = spawn daemon { }
a.join(); b.join()
print(a.name, b.name, a.daemon, b.daemon, type(a.pid), a.pid != b.pid, a.pid != getpid())
a.name = "Worker-A"
print(a.name)
try { a.pid = 1 } catch e { print(e.kind) }
let c = spawn { let g = spawn { }; g.join(); print("grandchild name", g.name) }
c.join()
"#,
    );
    assert_eq!(
        out.stdout,
        "Process-1 Process-2 false true int true true\nWorker-A\nAttributeError\ngrandchild name Process-3:1\n",
        "stderr: {}",
        out.stderr
    );
}

#[test]
fn join_with_a_timeout_returns_while_the_child_runs() {
    let out = run(
        "join_timeout",
        r#"
let p = spawn { sleep(60) }
let t0 = time()
p.join(0.3)
let waited = time() - t0
print("after join(0.3):", p.exitcode, p.is_alive(), waited >= 0.29, waited < 10)
p.terminate()
p.join()
let q = spawn { sleep(0.1) }
t0 = time()
q.join(30)
print("quick child:", q.exitcode, time() - t0 < 10)
"#,
    );
    assert_eq!(out.stdout, "after join(0.3): nil true true true\nquick child: 0 true\n", "stderr: {}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(20), "took {:?}", out.elapsed);
}

#[test]
fn an_uncaught_error_in_a_child_is_reported_once_and_the_parent_goes_on() {
    let out = run(
        "child_error",
        r#"
fn work(xs) {
    let total = 0
    total += xs[5]
}
let p = spawn work([1, 2])
p.join()
print("pid", p.pid)
print("exitcode", p.exitcode)
print("parent goes on")
"#,
    );
    let pid = out.lines().iter().find_map(|l| l.strip_prefix("pid ")).expect("pid line").to_string();
    assert_eq!(out.lines()[1..], ["exitcode 1", "parent goes on"], "stderr: {}", out.stderr);
    assert_eq!(out.code, Some(0));
    let err = &out.stderr;
    assert_eq!(err.matches("IndexError").count(), 2, "one diagnostic (kind + label): {err}");
    assert!(err.contains("out of range"), "{err}");
    assert!(err.contains("Process-1") && err.contains(&format!("pid {pid}")), "names the process: {err}");
    assert!(err.contains(":4:"), "names the source line 4: {err}");
    assert!(err.contains("total += xs[5]"), "shows the source line: {err}");
}

#[test]
fn main_ends_then_daemons_are_terminated() {
    let out = run(
        "daemons",
        r#"
let d = spawn daemon { sleep(60); print("daemon finished") }
let e = spawn daemon { while true { sleep(0.01) } }
print("daemon pids", d.pid, e.pid)
"#,
    );
    assert!(out.stdout.starts_with("daemon pids"), "stdout: {}", out.stdout);
    assert!(!out.stdout.contains("daemon finished"));
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(20), "daemons were waited for: {:?}", out.elapsed);
}

/// Main waits for children it never joined — whether it ends normally, by
/// `exit`, or by an uncaught error — and only then ends the daemons.
#[test]
fn main_waits_for_children_it_never_joined() {
    let cases = [("", 0), ("exit(3)", 3), ("throw error(\"ValueError\", \"main fails\")", 1)];
    for (ending, code) in cases {
        let out = run(
            "unjoined",
            &format!(
                r#"
for i in 0..3 {{ spawn {{ sleep(0.5); print("child done") }} }}
spawn daemon {{ sleep(60); print("daemon finished") }}
print("main ends")
{ending}
"#
            ),
        );
        assert_eq!(out.lines().first(), Some(&"main ends"), "{ending}: {out:?}");
        assert_eq!(out.stdout.matches("child done").count(), 3, "{ending}: {out:?}");
        assert!(!out.stdout.contains("daemon finished"), "{ending}: {out:?}");
        assert_eq!(out.code, Some(code), "{ending}: {out:?}");
        assert!(out.elapsed >= Duration::from_millis(450), "{ending}: did not wait: {:?}", out.elapsed);
        if code == 1 {
            assert!(out.stderr.contains("main fails"), "{}", out.stderr);
        }
    }
}

#[test]
fn lines_from_four_processes_never_tear() {
    let out = run(
        "no_tear",
        r#"
fn writer(id) {
    let fill = "abcd"[id]
    for j in 0..500 {
        let head = "P{id} {j} "
        print(head + fill * (100 - len(head)))
    }
}
let ps = []
for id in 0..4 { ps.push(spawn writer(id)) }
for p in ps { p.join() }
"#,
    );
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let lines = out.lines();
    assert_eq!(lines.len(), 2000);
    let mut next = [0usize; 4];
    for line in lines {
        assert_eq!(line.len(), 100, "torn line: {line:?}");
        let (id, rest) = line.strip_prefix('P').and_then(|l| l.split_once(' ')).expect("P<id> prefix");
        let id: usize = id.parse().expect("writer id");
        let (j, fill) = rest.split_once(' ').expect("line number");
        let fill_char = b"abcd"[id] as char;
        assert!(fill.chars().all(|c| c == fill_char), "mixed line: {line:?}");
        // Each writer prints its own lines in order; writers interleave freely.
        assert_eq!(j.parse::<usize>().expect("line number"), next[id], "line: {line:?}");
        next[id] += 1;
    }
    assert_eq!(next, [500; 4]);
}

#[test]
fn nothing_is_printed_twice_after_a_fork() {
    // Standard output is a regular file here, the case where a buffered
    // runtime prints twice; also through `fork()` and nested spawns.
    let script = Script::new(
        "print_once",
        r#"
print("before")
let p = spawn { print("child") }
p.join()
let pid = fork()
if pid == 0 { exit(0) }
waitpid(pid)
let q = spawn { let r = spawn { print("grandchild") }; r.join() }
q.join()
print("after")
"#,
    );
    let dir = std::env::temp_dir().join(format!("mpscript-print-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("out.txt");
    let status = std::process::Command::new(common::bin())
        .arg(&script.path)
        .env("NO_COLOR", "1")
        .stdout(std::fs::File::create(&file).expect("create out file"))
        .status()
        .expect("run mpscript");
    let text = std::fs::read_to_string(&file).expect("read output");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success());
    assert_eq!(text, "before\nchild\ngrandchild\nafter\n");
}

#[test]
fn two_hundred_sequential_spawns_leave_no_zombie() {
    let script = Script::new(
        "seq200",
        r#"
let codes = {}
let names = []
for i in 0..200 {
    let p = spawn { }
    p.join()
    codes[p.exitcode] = codes.get(p.exitcode, 0) + 1
    names.push(p.name)
}
print("codes", codes)
print("last", names[0], names[199])
print("CHECK")
read_file("/dev/stdin")      # held here while the test looks for zombies
"#,
    );
    let mut r = start(&[&script.arg()], &script.arg());
    r.wait_line("CHECK");
    let zombies = zombies_of(r.pid);
    r.close_stdin();
    let out = r.finish();
    assert!(zombies.is_empty(), "zombies after joins: {zombies:?}");
    assert_eq!(out.lines(), ["codes {0: 200}", "last Process-1 Process-200", "CHECK"], "stderr: {}", out.stderr);
}

#[test]
fn no_zombie_after_joins_waits_and_signals() {
    let script = Script::new(
        "zombies",
        r#"
let ps = []
for i in 0..20 { ps.push(spawn { sleep(0.05) }) }
for p in ps { p.join() }
let s = spawn { sleep(60) }
s.terminate(); s.join()
let k = spawn { sleep(60) }
k.kill(); k.join()
let t = spawn { sleep(60) }
t.join(0.05); t.terminate(); t.join()
let f = fork()
if f == 0 { exit(4) }
waitpid(f)
f = fork()
if f == 0 { exit(5) }
wait()
run("true")
print("CHECK")
read_file("/dev/stdin")
"#,
    );
    let mut r = start(&[&script.arg()], &script.arg());
    r.wait_line("CHECK");
    let zombies = zombies_of(r.pid);
    let live = common::children_of(r.pid);
    r.close_stdin();
    let out = r.finish();
    assert!(zombies.is_empty(), "zombies after joins: {zombies:?}");
    assert!(live.is_empty(), "children still running: {live:?}");
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
}

#[test]
fn a_burst_of_spawns_all_end_well() {
    let out = run(
        "burst",
        r#"
fn code(n) { exit(n % 7) }
let ps = []
for i in 0..200 { ps.push(spawn code(i)) }
let ok = 0
for i in 0..200 {
    ps[i].join()
    if ps[i].exitcode == i % 7 { ok += 1 }
}
print(ok)
"#,
    );
    assert_eq!(out.stdout, "200\n", "stderr: {}", out.stderr);
}

#[test]
fn ctrl_c_ends_the_whole_tree() {
    let script = Script::new(
        "ctrl_c",
        r#"
let ps = []
for i in 0..3 { ps.push(spawn { sleep(60) }) }
ps.push(spawn daemon { sleep(60) })
ps.push(spawn { let g = spawn { sleep(60) }; g.join() })
print("READY")
for p in ps { p.join() }
print("not reached")
"#,
    );
    let mut r = start(&[&script.arg()], &script.arg());
    r.wait_line("READY");
    // As a terminal does on Ctrl-C: SIGINT to the whole foreground group.
    r.signal_group(libc::SIGINT);
    let out = r.finish();
    assert_eq!(out.code, Some(130), "stderr: {}", out.stderr);
    assert!(!out.stdout.contains("not reached"));
    assert!(out.stderr.contains("KeyboardInterrupt"), "stderr: {}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(30), "took {:?}", out.elapsed);
}

#[test]
fn ps_in_a_piped_repl_lists_the_processes() {
    let mut r = start(&[], "no marker: the process group is enough");
    r.send("event e\nlet p = spawn { e.wait() }\n:ps\ne.set()\np.join()\nprint(\"joined\", p.exitcode)\n");
    let out = r.finish();
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    let lines = out.lines();
    let header = lines.iter().position(|l| l.starts_with("PID")).expect("a :ps table");
    let table = &lines[header + 1..header + 3];
    assert!(table[0].contains("MainProcess"), "{lines:?}");
    assert!(table[1].contains("Process-1"), "{lines:?}");
    let main_pid = table[0].split_whitespace().next().expect("main pid");
    assert_eq!(table[1].split_whitespace().nth(1), Some(main_pid), "Process-1's parent: {lines:?}");
    assert_eq!(lines.last(), Some(&"joined 0"));
}

#[test]
fn low_level_fork_wait_and_ids() {
    let out = run(
        "lowlevel",
        r#"
let me = getpid()
let pid = fork()
if pid == 0 {
    if getppid() != me { exit(10) }
    exit(6)
}
print("parent got a pid:", pid > 0 and pid != me)
let w = wait()
print(w[0] == pid, w[1])
pid = fork()
if pid == 0 { kill(getpid(), "SIGTERM"); sleep(60) }
print(waitpid(pid)[1])
try { wait() } catch e { print(e.kind) }
try { waitpid(1) } catch e { print(e.kind) }
print(cpu_count() >= 1)
"#,
    );
    assert_eq!(out.stdout, "parent got a pid: true\ntrue 6\n-15\nProcessError\nProcessError\ntrue\n", "{out:?}");
}

#[test]
fn run_captures_code_stdout_and_stderr() {
    let out = run(
        "run",
        r#"
let r = run(["sh", "-c", "echo out; echo err >&2; exit 2"])
print(r["code"], r["stdout"].strip(), r["stderr"].strip())
print(run("tr a-z A-Z", input="shout")["stdout"])
print(run(["cat"])["stdout"] == "")
try { run(["/nonexistent/program"]) } catch e { print(e.kind) }
"#,
    );
    assert_eq!(out.stdout, "2 out err\nSHOUT\ntrue\nIOError\n", "{out:?}");
}

#[test]
fn a_signal_handler_runs_at_the_next_safe_point() {
    let out = run(
        "handler",
        r#"
let got = []
signal("SIGUSR1", fn(name) { got.push(name) })
kill(getpid(), "SIGUSR1")
let t0 = time()
sleep(5)                         # the pending signal is handled first, then the sleep
print(got, time() - t0 < 15)
signal("SIGUSR1", nil)           # back to the default action
let p = spawn { sleep(60) }
kill(p.pid, "SIGUSR1")
p.join()
print(p.exitcode)
try { signal("SIGKILL", fn(n) { }) } catch e { print(e.kind) }
"#,
    );
    assert_eq!(out.stdout, "[\"SIGUSR1\"] true\n-10\nValueError\n", "{out:?}");
}

#[test]
fn a_child_does_not_inherit_signal_handlers() {
    // A signal sent right after spawn must not be swallowed by the parent's
    // handler, inherited across fork before the child could reset it.
    let out = run(
        "no_inherit",
        r#"
signal("SIGUSR1", fn(n) { print("parent handler") })
let codes = []
for i in 0..20 {
    let p = spawn { sleep(60) }
    kill(p.pid, "SIGUSR1")
    p.join()
    codes.push(p.exitcode)
}
print(codes == [-10] * 20)
"#,
    );
    assert_eq!(out.stdout, "true\n", "{out:?}");
}

/// Each script of `scripts/` runs, ends well, and shows its lesson.
mod scripts {
    use super::common::run_args;
    use super::*;

    fn run_script(name: &str) -> common::Out {
        let path = format!("scripts/{name}");
        let out = run_args(&[&path], &path);
        assert_eq!(out.code, Some(0), "{name}: {out:?}");
        out
    }

    #[test]
    fn fork_basics() {
        let out = run_script("fork_basics.mps");
        let s = &out.stdout;
        assert!(s.contains("state is Z (zombie)"), "{s}");
        assert!(s.contains("the zombie is gone: true"), "{s}");
        assert!(s.contains("waitpid gave ["), "{s}");
        assert!(s.contains(", 3]"), "{s}");
        assert!(s.contains("adopted by main: true"), "{s}");
        assert!(s.contains("exitcode -9"), "{s}");
        assert!(s.contains("main reaped the adopted orphan, exitcode 0"), "{s}");
        let main = s.lines().next().and_then(|l| l.strip_prefix("main process: pid ")).expect("main pid line");
        assert!(s.contains(&format!("my parent is {main}")), "{s}");
    }

    #[test]
    fn processes() {
        let out = run_script("processes.mps");
        let s = &out.stdout;
        assert!(s.contains("in the parent: counter = 0, seen = []"), "{s}");
        assert!(s.contains("counter = 10, seen = [10]"), "{s}");
        let workers: BTreeSet<&str> = s.lines().filter(|l| l.starts_with("Worker-")).collect();
        assert_eq!(workers.len(), 3, "{s}");
        assert!(workers.iter().all(|l| l.ends_with("exitcode 0")), "{s}");
        assert!(s.contains("sleeper alive: true, exitcode nil"), "{s}");
        assert!(s.contains("sleeper alive: false, exitcode -15"), "{s}");
    }

    #[test]
    fn daemon() {
        let out = run_script("daemon.mps");
        let s = &out.stdout;
        assert!(s.contains("slow job finished"), "{s}");
        assert!(s.contains("daemon tick 1"), "{s}");
        // The ticker ends with the main code, before slow_job is waited for.
        let end = s.find("main program ends here").expect("the main code's last line");
        assert!(s[end..].matches("daemon tick").count() <= 1, "{s}");
        assert!(out.elapsed < Duration::from_secs(30), "{:?}", out.elapsed);
    }

    #[test]
    fn subprocess() {
        let out = run_script("subprocess.mps");
        let s = &out.stdout;
        for want in [
            "argv form: code 0, stdout hello from echo",
            "shell form: a b c",
            "wc -l counted 3 lines",
            "failing command: code 3, stderr oops",
            "killed command: code -15",
        ] {
            assert!(s.contains(want), "missing {want:?} in {s}");
        }
        let children: BTreeSet<&str> = s.lines().filter_map(|l| l.strip_prefix("child ")).map(|l| &l[..1]).collect();
        assert_eq!(children, BTreeSet::from(["1", "2", "3"]), "{s}");
        for line in s.lines().filter(|l| l.starts_with("child ")) {
            // "child N sees pid P (its parent: me, P)": the command's parent is the child.
            let words: Vec<&str> = line.split(' ').collect();
            assert_eq!(words[4], words[8].trim_end_matches(')'), "{line}");
        }
    }

    #[test]
    fn signals() {
        let out = run_script("signals.mps");
        assert_eq!(
            out.stdout,
            "main got SIGUSR1\nhandled 1 signal(s)\nworker: got SIGTERM, cleaning up\n\
             worker exitcode 0 (its handler chose 0)\nvictim exitcode -10 (-10: killed by SIGUSR1)\n\
             stubborn exitcode -9 (-9: SIGKILL)\ndeaf: SIGUSR1 ignored, still here\n\
             deaf exitcode -10 (-10: the default action came back)\n"
        );
    }
}
