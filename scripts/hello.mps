# hello.mps — the smallest mpscript program
let name = "world"
print("hello, {name}!")
