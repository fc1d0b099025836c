# Twin of parse.mps: `compile()` (in a fresh python3 process, as mpscript's
# `check` runs in a fresh process) of 18 nested `def` blocks, 18 nested
# `def` blocks standing in for `spawn {`, and one call with 80,000
# arguments. Unit: seconds per compile, including process start.
import os
import subprocess
import sys
import time

reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def nest(body, depth, head):
    lines = body.split("\n")
    for i in range(depth):
        lines = [head(i)] + ["    " + l for l in lines] + [f"f{i}()" if head(i).startswith("def f") else ""]
    return "\n".join(lines)


src = nest("print(1)", 18, lambda i: f"def f{i}():")
sp = nest("print(2)", 18, lambda i: f"def s{i}():")
src = src + "\nif False:\n" + "\n".join("    " + l for l in sp.split("\n")) + "\n"
src += "print(" + ", ".join(["1"] * 80000) + ")\n"
path = f"/tmp/python-bench-parse-{os.getpid()}.py"
with open(path, "w") as f:
    f.write(src)
for _ in range(reps):
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", f"compile(open({path!r}).read(), {path!r}, 'exec')"])
    dt = time.perf_counter() - t0
    assert out.returncode == 0
    print(f"RESULT {dt}")
os.remove(path)
