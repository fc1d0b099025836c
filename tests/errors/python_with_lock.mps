# exit: 2
lock l
with l:
    print("inside")
