# exit: 1
let p = spawn { }
p.join()
print(p.name())
