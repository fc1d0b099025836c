//! The interactive REPL (LANGUAGE.md §12).

use crate::Engine;

/// Run the REPL until `:quit` or end of input; returns the exit code.
pub fn run(_engine: &mut Engine) -> i32 {
    crate::runtime::output::eprint("mpscript: the REPL is not implemented yet\n");
    2
}
