# exit: 2
print('tab:\t')
print('newline:\n')
