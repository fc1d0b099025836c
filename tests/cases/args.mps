# args: one "two words" --three
# `args` holds the command-line arguments after the script's name.
print(len(args))
for a in args { print("[" + a + "]") }
