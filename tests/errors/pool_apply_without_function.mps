# exit: 1
pool p = 1
p.apply(args=[1])
