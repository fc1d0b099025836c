# §9: methods of lists, dicts and strings.
let xs = [1, 2, 3]
xs.push(4)
print(xs)
print(xs.pop(), xs)
print(xs.pop(0), xs)
xs.insert(0, "first")
xs.insert(99, "last")
print(xs)
xs.remove("first")
print(xs, xs.contains(2), xs.contains(9), xs.index(3), 2 in xs)
print(["a", "b", "c"].join("-"), [1, 2].join(", "))
let d = {"a": 1, "b": 2}
print(d.keys(), d.values(), d.items())
print(d.get("a"), d.get("z"), d.get("z", "fallback"), d.contains("b"))
for pair in d.items() { print(pair[0], "=", pair[1]) }
let s = "  Hello, World  "
print("[" + s.strip() + "]", s.upper(), s.lower())
print("a,b,,c".split(","), "one two  three".split(), "k=v=w".split("=", 1))
print(", ".join(["x", "y"]), "-".join(["solo"]), "".join([]))
print("banana".replace("an", "AN"), "hello".starts_with("he"), "hello".ends_with("lo"), "hello".ends_with("he"))
print("hello".index("l"), "hello".contains("ell"))
print('{} + {} = {}'.format(1, 2, 3), '{name} is {age}'.format(name="ann", age=30))
print('{:>6}|{:<6}|{:^6}|'.format("r", "l", "c"), '{:.2f} {:5.1f} {:03d}'.format(3.14159, 2.25, 7))
print('{0}{1}{0}'.format("a", "b"), '{{literal}}'.format())
