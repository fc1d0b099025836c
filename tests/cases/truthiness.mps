# §3: nil, false, 0, 0.0, "", [], {} are false; all else is true.
for v in [nil, false, 0, 0.0, "", [], {}, 0..0] {
    if v { print("true ", v) } else { print("false", v) }
}
for v in [true, 1, -1, 0.5, "0", " ", [0], {"": nil}, 0..1, print, fn() {}] {
    if v { print("true ", v) } else { print("false", v) }
}
print(bool(nil), bool(0), bool("x"), bool([]), not [], not 1)
