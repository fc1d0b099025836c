# exit: 3
# exit(n) ends the program with code n; finally blocks still run.
print("before")
try {
    exit(3)
} finally {
    print("finally on exit")
}
print("never printed")
