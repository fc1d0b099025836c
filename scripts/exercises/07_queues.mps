# 07_queues.mps — solution: FIFO per producer, whatever the interleaving.
queue q
fn producer(name, sentence) {
    for w in sentence.split() { q.put([name, w]) }
    q.put(nil)
}
let a = spawn producer("a", "the quick brown fox")
let b = spawn producer("b", "jumps over the lazy dog")
let words = {"a": [], "b": []}
let ended = 0
while ended < 2 {
    let item = q.get()
    if item == nil { ended += 1; continue }
    words[item[0]].push(item[1])
}
a.join(); b.join()
print(" ".join(words["a"]))
print(" ".join(words["b"]))
assert(" ".join(words["a"]) == "the quick brown fox", "a's order kept")
