//! Program output. Each printed line goes out in a single `write(2)` on the
//! raw file descriptor — no userspace buffer — so lines of different
//! processes never interleave mid-line and nothing is printed twice after a
//! fork.

use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::Host;

/// Write all of `bytes` to `fd`, retrying on partial writes and EINTR.
pub fn write_all(fd: i32, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid buffer for its length; `fd` is owned by the process.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err);
        }
        bytes = &bytes[n as usize..];
    }
    Ok(())
}

/// `print`: one line, one write.
pub fn print_line(interp: &mut (impl Host + ?Sized), line: &str) -> Result<(), Box<ErrorObj>> {
    super::explore::point(interp)?;
    let tagged;
    let text = if interp.rt.tag {
        tagged = format!("[{} {}] {line}", interp.process.name, interp.process.pid);
        &tagged
    } else {
        line
    };
    match write_all(1, text.as_bytes()) {
        Ok(()) => Ok(()),
        // The reader went away (`mpscript x | head`): end by SIGPIPE, like `cat`.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => crate::runtime::process::die_of_broken_pipe(interp),
        Err(e) => Err(ErrorObj::new(ErrorKind::IOError, format!("cannot write to standard output: {e}"))),
    }
}

/// Diagnostics and messages to stderr, one write.
pub fn eprint(text: &str) {
    let _ = write_all(2, text.as_bytes());
}
