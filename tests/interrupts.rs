//! Ending the main process from outside: SIGINT or SIGTERM sent to the main
//! process alone (not its group) still ends the whole tree, promptly.

mod common;

use common::{start, Script};
use std::time::Duration;

fn end_main_with(sig: i32, expected_code: i32) {
    let s = Script::new(
        "end_main",
        "let s = spawn { sleep(30) }\nlet f = fork()\nif f == 0 { sleep(30)\n exit(0) }\nprint(\"ready\")\nsleep(30)\n",
    );
    let arg = s.arg();
    let mut running = start(&[&arg], &arg);
    running.wait_line("ready");
    // SAFETY: plain kill(2) of the main process only.
    unsafe { libc::kill(running.pid, sig) };
    let out = running.finish(); // also proves no process was left behind
    assert_eq!(out.code, Some(expected_code), "{}", out.stderr);
    assert!(out.elapsed < Duration::from_secs(10), "took {:?}", out.elapsed);
}

#[test]
fn sigint_to_the_main_process_ends_every_child() {
    end_main_with(libc::SIGINT, 130);
}

#[test]
fn sigterm_to_the_main_process_ends_every_child() {
    end_main_with(libc::SIGTERM, 143);
}
