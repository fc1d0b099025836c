# Parse time: `mpscript check` of a file with 18 nested `fn() {` blocks,
# 18 nested `spawn {` blocks and one call with 80,000 arguments (each once
# doubled or quadratic in the parser). Unit: seconds per check, including
# the start of the checking process (lower is better).
# Usage: mpscript benches/parse.mps [REPS]   (twin: benches/parse.py)
let reps = 5
if len(args) > 0 { reps = int(args[0]) }

let src = "print(1)"
for i in 0..18 { src = "let f{i} = fn() \{\n{src}\n\}\nf{i}()" }
let sp = "print(2)"
for i in 0..18 { sp = "spawn \{\n{sp}\n\}" }
let many = []
for i in 0..80000 { many.push("1") }
src = src + "\nif false \{\n" + sp + "\n\}\n" + "print(" + ", ".join(many) + ")\n"
let path = "/tmp/mpscript-bench-parse-{getpid()}.mps"
write_file(path, src)
for r in 0..reps {
    let t0 = time()
    let out = run(["/proc/self/exe", "check", path])
    let dt = time() - t0
    assert(out["code"] == 0, "check failed: {out["stderr"]}")
    print("RESULT {dt}")
}
remove_file(path)
