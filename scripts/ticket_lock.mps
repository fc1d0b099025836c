# ticket_lock.mps — the same sale as ticket_race.mps, with a lock: exact.
#
# Lesson: a lock makes "check, then act" one step. Only one buyer at a time
# runs the block, so the number it read is still true when it writes. Exactly
# 10 tickets are sold, whatever the timing; the other 10 buyers hear
# "sold out". The price: buyers now queue at the lock one after another.
shared left = 10
shared sold = []
lock counter                # one lock shared by every buyer (inherited at spawn)

fn buy(i) {
    lock counter {
        let n = left.value
        if n > 0 {
            sleep(0.05)
            left.value = n - 1
            sold.push(i)
            print("buyer {i} got ticket #{n}")
        } else {
            print("buyer {i}: sold out")
        }
    }
}

let buyers = []
for i in 1..=20 {
    buyers.push(spawn buy(i))
}
for b in buyers { b.join() }
print("tickets: 10, sold: {len(sold)}, left: {left.value}")
