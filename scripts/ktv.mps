# ktv.mps — a karaoke room with 4 microphones and 20 singers.
#
# Lesson: a counting semaphore lets at most N processes into a section at
# once (a lock is the case N = 1). `sem mics { }` takes one of the 4 permits
# and gives it back at the end of the block, even on error. The room tracks
# how many are singing; the most it ever sees is 4.
sem mics = 4
shared room = {"now": 0, "most": 0}

fn sing(i) {
    sem mics {
        lock room {                 # the room's own lock: read-modify-write as one step
            room["now"] += 1
            if room["now"] > room["most"] { room["most"] = room["now"] }
        }
        print("singer {i} sings ({room["now"]} at the mics)")
        sleep(rand_float(0.02, 0.08))
        lock room { room["now"] -= 1 }
    }
}

let singers = []
for i in 1..=20 {
    singers.push(spawn sing(i))
}
for s in singers { s.join() }
print("most singers at once: {room["most"]} (mics: 4); permits back: {mics.value()}")
