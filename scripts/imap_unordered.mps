# imap_unordered.mps — pool results as they come.
#
# Lesson: p.map() waits for every result and gives them in order. p.imap()
# gives them one at a time, in order, each as soon as it (and those before
# it) is done; p.imap_unordered() gives each as soon as it is done,
# whatever its place. Here the first tasks are the slowest, so
# imap_unordered hands out the quick ones first, while imap must wait for
# task 0 before it can give anything.
fn job(n) {
    sleep(0.1 * (4 - n))            # task 0 is the slowest, task 4 the quickest
    return n
}

pool p = 5
let t0 = time()
for n in p.imap_unordered(job, 0..5) {
    print("imap_unordered: task {n} done after {round(time() - t0, 1)} s")
}
let t1 = time()
for n in p.imap(job, 0..5) {
    print("imap:           task {n} after {round(time() - t1, 1)} s")
}
print("map:           ", p.map(job, 0..5))
