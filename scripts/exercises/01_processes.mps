# 01_processes.mps — solution: children report a number through their exit code.
fn square(i) {
    exit(i * i)
}
let ps = []
for i in 1..=5 { ps.push(spawn square(i)) }
let total = 0
for p in ps {
    p.join()
    total += p.exitcode
}
print("sum of the exit codes: {total}")
assert(total == 55, "1 + 4 + 9 + 16 + 25")
