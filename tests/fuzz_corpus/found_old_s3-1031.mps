pool p = 1
let r = p.apply_async(fn() { return 42 })
print(r.get(1e300))
r.wait(1e300)
p.close()
# exit: 2
p.join()
