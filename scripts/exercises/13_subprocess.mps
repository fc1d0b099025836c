# 13_subprocess.mps — solution: wc -l on every script, from a pool.
let listing = run("ls scripts/*.mps")
assert(listing["code"] == 0, "run from the repository root")
let files = listing["stdout"].strip().split("\n")
fn lines_of(path) {
    let r = run(["wc", "-l", path])
    return [int(r["stdout"].split()[0]), path]
}
pool p = 2
let counts = p.map(lines_of, files)
let longest = max(counts, key=fn(c) { return c[0] })
print("{len(files)} scripts; the longest is {longest[1]} with {longest[0]} lines")
assert(longest[0] > 10, "a real script")
