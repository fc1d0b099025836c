# daemon.mps — daemon vs. ordinary children at the end of the program.
#
# When the main program's code ends it first TERMINATES every daemon child
# still running (a daemon never outlives the main code, as in Python), and
# then WAITS for every ordinary child, even one it never joined.
# A daemon is for background helpers whose work need not finish.

fn ticker() {
    let n = 0
    while true {                # would tick forever
        n += 1
        print("daemon tick {n}")
        sleep(0.1)
    }
}

fn slow_job() {
    sleep(0.5)
    print("slow job finished (main waited for it, though nobody joined it)")
}

let d = spawn daemon ticker()
let j = spawn slow_job()
print("daemon: {d.daemon}, ordinary: {not j.daemon}")
sleep(0.25)                     # let the ticker tick a little
print("main program ends here, without joining anyone")
# At the end: main terminates the ticker, then waits for slow_job.
