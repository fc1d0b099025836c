# 02_fork.mps — solution: three forked children, reaped with wait().
for i in 1..=3 {
    if fork() == 0 { exit(i) }
}
let codes = []
for n in 0..3 { codes.push(wait()[1]) }
print("exit codes: {sorted(codes)}")
assert(sorted(codes) == [1, 2, 3], "every child reaped once")
