# Format specs in interpolation and str.format (Python's mini-language)
let t = 3.14159265
let n = 42
print("{t:.3f}|{n:>5}|{n:<5}|{n:^6}|{n:*^7}|{n:05}|{-n:05}|{n:+}|{n: }|{-n:=+6}")
print("{255:x}|{255:X}|{255:#x}|{255:o}|{255:#o}|{5:b}|{5:#010b}|{65:c}")
print("{1234567:,}|{1234567:_}|{1234567.891:,.2f}|{0xFFFF:_x}")
print("{t:e}|{t:.2E}|{t:g}|{1e-7:g}|{1e20:g}|{123456789.0:g}|{t:.3}|{1.0:.3}|{1234.5:.3}")
print("{0.25:%}|{0.25:.1%}|{t:10.4f}|{t:<10.2f}|{-0.0:f}|{1e308 * 10:f}|{n:.2f}|{n:e}")
print("{'ab':>5}|{'ab':<5}|{'ab':^5}|{'abcdef':.3}|{'x':s}|{[1, 2]:>8}|{nil:>4}|{true:>5}|{true:d}")
let d = {"k": [1, 2]}
print("{d["k"][0]:>3}|{d["k"]}|{ {"a": 1}["a"]:03}")
print('{:>5}|{:<4}|{}'.format(1, 2, 3), '{0:.2f} {0:>8.3f}'.format(2.5), '{x:^9}'.format(x="mid"))
print('{:.3f}'.format(2), '{:,}'.format(-1234567), '{{literal}} {:d}'.format(7))
let w = '{:>12}'.format(1)
print(len(w), len('{:.30f}'.format(1.0)), len('{:.70000f}'.format(1.0)), len('{:.2000e}'.format(1.0)))
fn attempt(f) {
    try { print(f()) } catch e { print(e.kind + ":", e.message) }
}
attempt(fn() { return '{:>99999999999}'.format(1) })
attempt(fn() { return '{:.70000000f}'.format(1.0) })
attempt(fn() { return '{:d}'.format(1.5) })
attempt(fn() { return '{:s}'.format(1) })
attempt(fn() { return '{:.2d}'.format(1) })
attempt(fn() { return '{:,x}'.format(1) })
attempt(fn() { return '{:+}'.format("a") })
attempt(fn() { return '{:=5}'.format("a") })
attempt(fn() { return '{:zz}'.format(1) })
attempt(fn() { return "{n:q}" })
