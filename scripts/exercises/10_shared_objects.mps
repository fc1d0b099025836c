# 10_shared_objects.mps — solution: a word count shared by four processes.
let text = "the cat and the dog and the bird saw the cat and the dog run"
let words = text.split()
shared counts = {}
fn count(part) {
    for w in part {
        lock counts { counts[w] = counts.get(w, 0) + 1 }
    }
}
let ps = []
let size = len(words) // 4 + 1
for i in 0..4 { ps.push(spawn count(words[i * size:(i + 1) * size])) }
for p in ps { p.join() }
let top = sorted(counts.snapshot().items(), key=fn(kv) { return -kv[1] })[:3]
print("most common: {top}")
assert(top[0] == ["the", 5] and sum(counts.snapshot().values()) == len(words), "every word counted once")
