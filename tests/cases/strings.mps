# §2: escapes, interpolation and raw strings.
print("tab:\t|quote:\"|backslash:\\|braces:\{\}")
print("line one\nline two")
let i = 3
let name = "car"
print("{name} {i} passes")
print("sum {1 + 2 * 3}, call {len([1, 2])}, index {[10, 20][1]}")
print("nested {"inner {i + 1}"} done")
print("dict {{"k": i}["k"]} and list {[i, "s"]}")
print("escaped \{i} stays")
print('{"count": 1}')
print('raw \\n is two characters, it\'s \\ one backslash')
print("" == '', len("héllo"), "a" + 'b')
