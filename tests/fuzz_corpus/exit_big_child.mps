let p = spawn { exit(256) }
p.join()
print(p.exitcode)
