# explore_tickets.mps — 3 buyers, 1 ticket, a JSON file: find the race, replay it.
#
# Lesson: a race shows up only in some interleavings, so rerunning and
# hoping is a poor test. `explore` runs the program many times under a
# controlled scheduler, one interleaving each, and lists every distinct
# outcome with the schedule that gave it:
#
#   mpscript explore scripts/explore_tickets.mps --runs 60
#       finds "tickets sold: 3" (an AssertionError), and its schedule
#   mpscript replay --schedule pct-…-d3-k… scripts/explore_tickets.mps
#       gives that same run again, byte for byte, every time
#   mpscript replay --schedule … --timeline race.svg scripts/explore_tickets.mps
#       draws it: every buyer reads "1 left" before anyone writes
#
# Each buyer reads the file, hesitates (the sleep: no real time under
# explore), then writes back one ticket fewer: a "check, then act" race.
# Run plainly, it usually oversells too, and its assertion fails (exit 1).
# The fix, a lock around the whole sale, is explore_tickets_fixed.mps:
# explored again, it has exactly one outcome.
let path = "/tmp/mpscript-tickets-{getpid()}.json"
let receipts = path + ".sold"
write_file(path, json_str({"left": 1}))
write_file(receipts, "")

fn buy(i) {
    let t = json_parse(read_file(path))     # check…
    if t["left"] > 0 {
        sleep(0.1)                           # …hesitate…
        t["left"] -= 1
        write_file(path, json_str(t))        # …act on what may be stale now
        append_file(receipts, "buyer {i}\n")
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
