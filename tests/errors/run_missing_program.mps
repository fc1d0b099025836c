# exit: 1
let r = run(["no-such-program-here", "--version"])
