# fork_basics.mps — fork() by hand: two processes from one, a zombie, an orphan.
#
# `fork()` copies the running process. Both copies go on from the same line;
# the only difference is the value fork() returns: 0 in the child, the
# child's pid in the parent. (`spawn` does this for you; this is what it hides.)

fn state_of(pid) {
    # Field 3 of /proc/PID/stat is the state: R running, S sleeping, Z zombie.
    return read_file("/proc/{pid}/stat").split(" ")[2]
}

let main = getpid()
print("main process: pid {main}")

# 1. fork: after this line there are two processes running this script.
let pid = fork()
if pid == 0 {
    print("child: my pid is {getpid()}, my parent is {getppid()}")
    exit(3)                      # the child ends here; 3 is its exit code
}
print("parent: forked child {pid}")

# 2. A zombie. The child has exited, but until its parent waits for it the
#    kernel keeps its entry (pid and exit code) around: state Z.
while state_of(pid) != "Z" { sleep(0.01) }     # give it time to exit
print("child {pid} has exited; before waitpid its state is {state_of(pid)} (zombie)")
let res = waitpid(pid)           # reaps it: [pid, exitcode]
print("waitpid gave {res}; the zombie is gone: {not file_exists("/proc/{pid}")}")

# 3. An orphan. A child forks a grandchild, then dies at once (SIGKILL, so
#    it cannot wait for anyone). The grandchild is now an orphan and gets a
#    new parent. Usually that is pid 1 (init), but the mpscript main process
#    marks itself a "child subreaper" (prctl PR_SET_CHILD_SUBREAPER), so
#    orphans of the program are adopted by the main mpscript process instead,
#    which reaps them: no process escapes the program.
let mid = fork()
if mid == 0 {
    let middle = getpid()
    let g = fork()
    if g == 0 {
        while getppid() == middle { sleep(0.01) }   # until our parent is gone
        let adopted = getppid() == main
        print("grandchild {getpid()}: my parent was {middle}, now it is {getppid()}; adopted by main: {adopted}")
        exit(0)
    }
    print("middle {getpid()}: started grandchild {g}, now dying without waiting")
    kill(getpid(), "SIGKILL")
}
print("middle process ended with exitcode {waitpid(mid)[1]} (-9: killed by SIGKILL)")
# The adopted grandchild is our child now: wait() reaps it like any other.
let g = wait()
print("main reaped the adopted orphan, exitcode {g[1]}")
