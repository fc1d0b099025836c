# exit: 1
fn todo() { pass }
todo()
