# explore_tickets_fixed.mps — the sale of explore_tickets.mps, with a lock.
#
# Lesson: the lock makes "read, check, write" one step: whichever buyer
# gets it first buys the ticket, and the others then read "0 left". Explore
# it and every interleaving gives the same outcome:
#
#   mpscript explore scripts/explore_tickets_fixed.mps --runs 60
#       1 distinct outcome: "tickets sold: 1 of 1", exit code 0
let path = "/tmp/mpscript-tickets-{getpid()}.json"
let receipts = path + ".sold"
write_file(path, json_str({"left": 1}))
write_file(receipts, "")
lock sale                                    # shared by every buyer (inherited at spawn)

fn buy(i) {
    lock sale {
        let t = json_parse(read_file(path))
        if t["left"] > 0 {
            sleep(0.1)
            t["left"] -= 1
            write_file(path, json_str(t))
            append_file(receipts, "buyer {i}\n")
        }
    }
}

let buyers = []
for i in 1..=3 {
    buyers.push(spawn buy(i))
}
for b in buyers { b.join() }
let sold = len(read_file(receipts).split("\n")) - 1
remove_file(path)
remove_file(receipts)
print("tickets sold: {sold} of 1")
assert(sold <= 1, "oversold: {sold} tickets sold, there was 1")
