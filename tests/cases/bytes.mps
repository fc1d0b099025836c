# The bytes value: literals, conversions, indexing, slicing, operators, printing
let b = b"hi\x00\xff\"\\\n\t{x}"
print(b, len(b), type(b))
print(b[0], b[-1], b[1:3], b[::-1][:2], b[100:])
print(b"" == b"", b"ab" == b"ab", b"ab" == "ab", b"a" < b"b", b"ab" + b"cd", b"ab" * 3)
print("héllo".encode(), "héllo".encode().decode(), "x".encode("utf-8"))
print(bytes([104, 105]), bytes(3), bytes(), bytes("é", "utf-8"), bytes(0..4))
print([b"x", 1], {"k": b"\x7f"}, str(b"q"), "{b"a"}")
print(104 in b"hi", b"i" in b"hi", b"" in b"hi", 120 in b"hi")
let total = 0
for x in b"abc" { total += x }
print(total, bool(b""), bool(b"\x00"))
print(b" x \n".strip(), b"abcb".find(b"b"), b"abc".find(b"z"), b"abcb".count(b"b"), b"abc".hex())
print(b"GET /".startswith(b"GET"), b"abc".upper(), b"ABC".lower())
queue q
let p = spawn { q.put([b"\x01\x02" + b"abc", "text".encode()]) }
print(q.get())
p.join()
try { b"\xc3".decode() } catch e { print(e.kind + ":", e.message) }
try { bytes([256]) } catch e { print(e.kind + ":", e.message) }
try { bytes("x") } catch e { print(e.kind + ":", e.message) }
try { b"a" + "b" } catch e { print(e.kind + ":", e.message) }
try { b"abc"[3] } catch e { print(e.kind + ":", e.message) }
