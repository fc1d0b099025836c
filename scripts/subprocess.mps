# subprocess.mps — running other programs with run(cmd, input=nil).
#
# run() starts an external command, waits for it, and gives back a dict
# {"code", "stdout", "stderr"}. A list is the argv (no shell involved, so no
# quoting trouble); a string is run by `sh -c`, with pipes, globs and all.

let r = run(["echo", "hello from", "echo"])
print("argv form: code {r["code"]}, stdout {r["stdout"].strip()}")

let s = run("printf 'b\\na\\nc\\n' | sort | tr '\\n' ' '")
print("shell form: {s["stdout"].strip()}")

# input= is written to the command's standard input.
let w = run(["wc", "-l"], input="one\ntwo\nthree\n")
print("wc -l counted {w["stdout"].strip()} lines")

# A failing command is not an error: look at its code and stderr.
let f = run("echo oops >&2; exit 3")
print("failing command: code {f["code"]}, stderr {f["stderr"].strip()}")

# Killed by a signal: the code is -N, as for a process's exitcode.
let k = run("kill -TERM $$")
print("killed command: code {k["code"]}")

# Each spawned child can run its own command; the outputs do not mix.
fn who(i) {
    let out = run(["sh", "-c", "echo child $1 sees pid $PPID", "sh", "{i}"])["stdout"].strip()
    print("{out} (its parent: me, {getpid()})")
}
let ps = []
for i in 1..=3 { ps.push(spawn who(i)) }
for p in ps { p.join() }
