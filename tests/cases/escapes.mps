# String escapes as in Python: \xHH, \uHHHH, \u{…}, octal \ooo
let red = "\033[1;31m"
print(len(red), red == "\x1b[1;31m", red == "\u001b[1;31m", red == "\u{1b}[1;31m")
print("tab:\t|", "nl:\n|", "cr-len:", len("\r"), "nul-len:", len("\0"), len("\00"), len("\000"))
print("\x41\x42\u0043\u{44}\105", "\u{1F600}", "\u00e9" == "é")
print("quote \" apostrophe \' brace \{ \} backslash \\")
print("\101\1012", len("\08"), "\7" == "\x07", "\777" == "\u01ff")
print('plain {not interpolated} \\ and \' only')
let n = 5
print("braces \{n\} vs {n}")
