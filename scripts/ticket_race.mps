# ticket_race.mps — 20 buyers, 10 tickets, no lock: the sale oversells.
#
# Lesson: "check, then act" on shared data is a race. Each buyer reads how
# many tickets are left, hesitates (the sleep), then writes back one less.
# Between one buyer's read and its write the others read the same number, so
# far more than 10 buyers are told they got a ticket. Each single read or
# write of a shared object is atomic; the pair of them is not.
# The fix is ticket_lock.mps.
shared left = 10
shared sold = []            # who was told "you got one"; push is one atomic update

fn buy(i) {
    let n = left.value      # check…
    if n > 0 {
        sleep(0.05)         # …hesitate…
        left.value = n - 1  # …act, on a number that may be stale by now
        sold.push(i)
        print("buyer {i} got ticket #{n}")
    } else {
        print("buyer {i}: sold out")
    }
}

let buyers = []
for i in 1..=20 {
    buyers.push(spawn buy(i))
}
for b in buyers { b.join() }
print("tickets: 10, sold: {len(sold)}, left: {left.value}")
