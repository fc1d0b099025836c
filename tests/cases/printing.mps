# §3: how values print. Strings are raw at top level, quoted inside
# lists and dicts; floats always show a point or an exponent.
print("a", [1, "b", nil, true, 2.0], {"k": 0..3})
print(nil, true, false, 0..=5, [], {}, [[]], {"n": {"m": [1.5]}})
print({1: "int key", true: "bool key", nil: "nil key", "s": "str key"})
print(["quote\"inside", "new\nline"])
print("no", "sep", sep="-")
print("no newline", end="")
print(" <- same line")
print()
print(str(1.0), str([1, "a"]), str("plain"), str(nil))
fn named() { return 1 }
print(type(named), type(print), type(fn(x) { return x }))
let e = error("ValueError", "bad input")
print(e, type(e))
print([e])
