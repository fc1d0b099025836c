# exit: 1
let done = False
while not done { done = True }
