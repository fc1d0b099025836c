# pool_async.mps — a small "crawler": apply_async with callbacks.
#
# Lesson: `p.apply_async(f, args, callback=g, error_callback=h)` returns at
# once with an async result. The workers "download" pages (a sleep stands in
# for the network); each finished download calls `g` with its result — but
# in THIS process, at its next waiting point (a get, a sleep, join), never
# at the same time as other code here. So the callbacks can push to a plain
# list with no lock. A failed download goes to `h` instead.
pool p = 3

fn download(url) {
    sleep(rand_float(0.0, 0.05))          # simulated network time
    if url.ends_with("/broken") { throw error("IOError", "cannot fetch {url}") }
    return {"url": url, "size": len(url) * 100}
}

let pages = []
let failures = []
let urls = []
for i in 0..8 { urls.push("https://example.org/page{i}") }
urls.push("https://example.org/broken")

let results = []
for url in urls {
    results.push(p.apply_async(download, url,
        callback=fn(page) { pages.push(page) },
        error_callback=fn(e) { failures.push(str(e)) }))
}
print("submitted", len(results), "downloads")

p.close()
p.join()                                # every callback has run by now

let total = 0
for page in pages { total += page["size"] }
print("downloaded:", len(pages), "pages,", total, "bytes")
print("failed:", failures)
print("ready:", results[0].ready(), "successful:", results[0].successful())
