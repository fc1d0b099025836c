# exit: 1
# `check` finds the misspelt name without running; a run stops at it.
let total = 0
print(totl)
