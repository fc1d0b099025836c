# exit: 1
let data = b"caf\xc3"
print(data.decode())
