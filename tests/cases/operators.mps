# §4: operators and their precedence.
print(1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, 2 * 3 % 4, -2 * 3, - -2, 2 - -1)
print(not true or true, not (true or true), true or false and false)
print(1 < 2 and 2 < 3, 1 + 1 == 2, (3 in 1..4) == true)
# `/` always gives a float; `//` floors; `%` takes the sign of the divisor.
print(7 / 2, 6 / 3, 1 / 4)
print(7 // 2, -7 // 2, 7 // -2, -7 // -2)
print(7 % 3, -7 % 3, 7 % -3, -7 % -3)
print(7.5 // 2, -7.5 // 2, 7.5 % 2, -7.5 % 2)
print(1 + 2.5, 2 * 1.5, 3 - 0.5)
# `+` concatenates and `*` repeats strings and lists.
print("ab" + "cd", [1] + [2, 3], "ab" * 3, 2 * "x", [0] * 3, "x" * 0)
# `==` is structural.
print([1, [2, {"a": nil}]] == [1, [2, {"a": nil}]], {"a": 1, "b": 2} == {"b": 2, "a": 1})
print(1 == 1.0, "1" == 1, [1] != [1, 1], nil == false, 0..3 == 0..3)
# Comparison of numbers, strings and lists.
print(1 < 2.5, "abc" < "abd", [1, 2] < [1, 3], 2 >= 2, 3 <= 2, "b" > "a")
# `in`: list items, dict keys, substrings, range members.
print(2 in [1, 2], 5 in [1, 2], "a" in {"a": 1}, 1 in {"a": 1})
print("ell" in "hello", "z" in "hello", 3 in 0..3, 3 in 0..=3, -1 in 0..3)
# `and` / `or` short-circuit.
fn boom() { throw "should not run" }
print(false and boom(), true or boom())
print(nil or "default", 0 and 1, 2 and 3, "" or nil)
# Unary minus binds looser than call and index; ranges looser than `+`.
print(-[5][0], -abs(-4), 1 + 1..4, len(0..2 * 3))
