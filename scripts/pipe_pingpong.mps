# pipe_pingpong.mps — a duplex pipe between two processes.
#
# Lesson: `pipe a, b` makes two connected ends; what one end sends, the other
# receives, in order, in both directions. Each process closes the end it does
# not use (both inherit both at spawn), so a finished partner shows as EOF.
pipe parent_end, child_end

fn player(conn, other) {
    other.close()                       # the child does not use the parent's end
    while true {
        let ball = conn.recv()
        if ball == nil { break }
        conn.send(ball + 1)             # pong
    }
    conn.close()
}

let p = spawn player(child_end, parent_end)
child_end.close()                       # the parent does not use the child's end

let ball = 0
for i in 0..5 {
    parent_end.send(ball)               # ping
    ball = parent_end.recv()
    print("round {i}: ball is {ball}")
}
parent_end.send(nil)                    # game over
p.join()
try {
    parent_end.recv()                   # the child closed its end and left
} catch e {
    print("after the game: {e.kind}")
}
