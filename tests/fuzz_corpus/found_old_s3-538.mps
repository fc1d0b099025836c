let head = nil
for i in 0..300000 { head = [i, head] }

head = nil
head = nil
print("dropped")
