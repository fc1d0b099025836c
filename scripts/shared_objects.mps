# shared_objects.mps — Python's Manager().dict(), Manager().list() and Value.
#
# Lesson: processes do not share memory: a plain dict changed in a child is
# the child's copy. A `shared` object lives outside every process, so all of
# them see each change. Each single read or write is atomic; a read-then-
# write such as `total.value += n` is two steps, so it goes inside
# `lock total { }` (every shared object is also its own lock), as Python's
# `with v.get_lock(): v.value += n`. A shared object prints as its value.
shared scores = {}             # Manager().dict()
shared log = []                # Manager().list()
shared total = 0               # Value("i", 0): read and write through .value
let plain = {}                 # an ordinary dict: each child changes its copy

fn worker(name, n) {
    scores[name] = n * n       # one write: atomic
    log.push(name)             # one change: atomic
    lock total { total.value += n }
    plain[name] = n
}

let ps = []
for i in 1..=4 { ps.push(spawn worker("w{i}", i)) }
for p in ps { p.join() }

for name in sorted(scores.keys()) { print(name, "->", scores[name]) }
print("log has", len(log), "names:", sorted(log))
print("total:", total.value)
print("the plain dict in main is still", plain)

# snapshot() is a plain copy: changing it leaves the shared one alone.
let copy = scores.snapshot()
copy["w1"] = -1
print("copy w1 =", copy["w1"], "but shared w1 =", scores["w1"])
shared config = {"workers": 4, "mode": "fast"}
print("a shared dict prints as its value:", config)
