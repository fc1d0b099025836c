# §2: integers (with `_` and hex) and floats.
print(42, 1_000_000, 0x1F, 0xff_ff, -7)
print(3.14, 1e-3, 2.5e3, 1E2, 1_0.5)
print(9223372036854775807, -9223372036854775808)
print(type(1), type(1.0), type(1e3))
# Floats always show a point or an exponent.
print(2.0, 1e20, 1.5e-7, 0.1 + 0.2, 10 / 4, -0.0)
