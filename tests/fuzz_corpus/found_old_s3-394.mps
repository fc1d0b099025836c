for b in [99, -1, 1, 37] { try { int("ff", b) } catch e { print(ind) } }

try { int("ff", 0) } catch e { print(e.kind) }