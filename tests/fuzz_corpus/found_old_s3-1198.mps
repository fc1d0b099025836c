for b in [99, -1, 1, 37] { try { int("ff", b) } catch e { print(e.kind) } }
for b in [99, -1, 1, 37] { try { int("ff", b) } catch e { print(e.kind) } }
print(int("ff", 16), int("0xff", 0), int("0b11", 0))
try { int("ff", 0) } catch e { print(e.kind) }
