let s = "abcdefgh"
while true { s = s + s }
