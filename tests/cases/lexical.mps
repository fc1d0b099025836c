#!/usr/bin/env mpscript
# §2: a `#` comment runs to the end of the line, so the shebang is one too.
print("one")   # a comment after code
print("two"); print("three")   # `;` separates statements on one line
;;
let xs = [
    1,
    2,   # newlines are free inside brackets
]
let d = {
    "a": 1,
    "b": 2
}
print(
    xs,
    d,
)
let total = 1 +
    2
print(total)
