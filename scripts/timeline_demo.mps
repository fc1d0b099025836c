# timeline_demo.mps — a small bakery to look at, not just to run.
#
#   mpscript --timeline bakery.svg scripts/timeline_demo.mps   # open in a browser
#   mpscript --trace bakery.json scripts/timeline_demo.mps     # ui.perfetto.dev
#
# Lesson: the picture shows what the printout hides. Three bakers wait
# (orange) for the shop to open, then share two ovens (a sem: green while a
# baker holds a permit, orange while it waits for one) and one ledger (a
# lock: blue while held, red while a baker waits for it). Count the red and
# orange: that is time spent waiting, not baking.
sem ovens = 2               # two ovens for three bakers
lock ledger                 # one book to write every loaf in
event open                  # the shop opens once every baker is ready
shared loaves = 0

fn baker(name, loaves_each) {
    open.wait()
    for i in 0..loaves_each {
        sem ovens {
            sleep(0.03)     # baking
        }
        lock ledger {
            loaves.value += 1
            sleep(0.01)     # writing it down
        }
    }
    print("{name} baked {loaves_each}")
}

let bakers = []
for name in ["Ann", "Bo", "Cy"] {
    let b = spawn baker(name, 3)
    b.name = name
    bakers.push(b)
}
sleep(0.05)
open.set()
for b in bakers { b.join() }
print("{loaves.value} loaves")
