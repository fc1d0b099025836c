//! The names that can follow a dot (`q.put(x)`, `p.pid`), interned once by
//! the parser as a `Member`, so no method call or field read compares
//! strings at run time.
//!
//! Every method and field name the language knows is listed once, below.
//! A new method or field: add its line here (variant = "text"), then handle
//! the variant where its owner dispatches: a handle kind's `call_method`
//! and `TABLE` in its own `runtime/` file (see `runtime::Table`), or the
//! list, dict and str methods in `builtins/`. Any other name
//! becomes `Member::Other`, which keeps its text for the "has no method
//! `x`" errors.

use super::ast::Name;
use std::fmt;

macro_rules! members {
    ($($variant:ident = $text:literal,)*) => {
        /// A method or field name (see the module comment).
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Member {
            $($variant,)*
            /// A name no type defines: kept for the error that says so.
            Other(Name),
        }

        impl Member {
            /// Every known name, for tests.
            #[cfg(test)]
            const ALL: &'static [Member] = &[$(Member::$variant,)*];

            /// Intern `name`: done once, when the program is parsed.
            pub fn of(name: &Name) -> Member {
                match &**name {
                    $($text => Member::$variant,)*
                    _ => Member::Other(name.clone()),
                }
            }

            /// The name as written.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Member::$variant => $text,)*
                    Member::Other(name) => name,
                }
            }
        }
    };
}

members! {
    // process
    Join = "join",
    IsAlive = "is_alive",
    Terminate = "terminate",
    Kill = "kill",
    Pid = "pid",
    Name = "name",
    Daemon = "daemon",
    Exitcode = "exitcode",
    // thread
    Ident = "ident",
    // lock, sem, event
    Acquire = "acquire",
    Release = "release",
    Locked = "locked",
    Value = "value",
    Set = "set",
    Clear = "clear",
    IsSet = "is_set",
    Wait = "wait",
    // condition, barrier, result iterator
    WaitFor = "wait_for",
    Notify = "notify",
    NotifyAll = "notify_all",
    Reset = "reset",
    Abort = "abort",
    Parties = "parties",
    NWaiting = "n_waiting",
    Broken = "broken",
    Next = "next",
    // queue
    Put = "put",
    PutNowait = "put_nowait",
    Get = "get",
    GetNowait = "get_nowait",
    Qsize = "qsize",
    Empty = "empty",
    Full = "full",
    TaskDone = "task_done",
    Close = "close",
    JoinThread = "join_thread",
    CancelJoinThread = "cancel_join_thread",
    Maxsize = "maxsize",
    // pipe
    Send = "send",
    Recv = "recv",
    Poll = "poll",
    Closed = "closed",
    // socket
    Accept = "accept",
    Sendall = "sendall",
    Shutdown = "shutdown",
    Port = "port",
    Host = "host",
    Peer = "peer",
    // pool, async result
    Map = "map",
    Starmap = "starmap",
    MapAsync = "map_async",
    StarmapAsync = "starmap_async",
    Imap = "imap",
    ImapUnordered = "imap_unordered",
    Apply = "apply",
    ApplyAsync = "apply_async",
    Size = "size",
    Pids = "pids",
    Ready = "ready",
    Successful = "successful",
    // shared
    Snapshot = "snapshot",
    // remote manager
    Queue = "queue",
    Dict = "dict",
    Pool = "pool",
    // list, dict
    Push = "push",
    Append = "append",
    Pop = "pop",
    Insert = "insert",
    Remove = "remove",
    Extend = "extend",
    Reverse = "reverse",
    Sort = "sort",
    Copy = "copy",
    Update = "update",
    Keys = "keys",
    Values = "values",
    Items = "items",
    // list, dict, str
    Len = "len",
    Contains = "contains",
    Index = "index",
    Count = "count",
    // str
    Upper = "upper",
    Lower = "lower",
    Strip = "strip",
    Lstrip = "lstrip",
    Rstrip = "rstrip",
    Split = "split",
    Replace = "replace",
    StartsWith = "starts_with",
    EndsWith = "ends_with",
    Find = "find",
    Chars = "chars",
    Format = "format",
    Encode = "encode",
    Startswith = "startswith",
    Endswith = "endswith",
    // bytes
    Decode = "decode",
    Hex = "hex",
    // error, range fields
    Kind = "kind",
    Message = "message",
    Line = "line",
    Start = "start",
    End = "end",
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Member;

    #[test]
    fn every_name_interns_to_its_own_variant() {
        for m in Member::ALL {
            assert_eq!(&Member::of(&m.as_str().into()), m, "{m}");
        }
        assert_eq!(Member::of(&"frobnicate".into()), Member::Other("frobnicate".into()));
        assert_eq!(Member::of(&"frobnicate".into()).as_str(), "frobnicate");
    }
}
