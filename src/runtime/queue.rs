//! `queue`: a multi-producer, multi-consumer FIFO in the shared arena, with an
//! optional `maxsize` and task counting (every queue is joinable).
//!
//! Layout of a queue in the arena (`QueueCell`):
//! ```text
//! mutex      pthread_mutex_t   robust, process-shared: guards everything below
//! maxsize    u32               0: unbounded
//! head       u32               index of the oldest item (wrapping counter)
//! tail_todo  u64               low 32: tail (index after the newest item);
//!                              high 32: unfinished tasks (put − task_done)
//! ring       u64               low 32: Offset of the `Slot` array; high 32: its
//!                              capacity (a power of two; grows by doubling)
//! put_seq    u32   futex       +1 on every put      ("not empty" for getters)
//! get_seq    u32   futex       +1 on every get      ("not full" for putters)
//! done_seq   u32   futex       +1 when the unfinished count reaches 0 (join)
//! getters, putters, joiners    processes blocked on each word (wake hints)
//! item_woken, room_woken        1 while a woken getter (putter) has not run yet
//! ```
//! Item `i` lives in `ring[i & (cap - 1)]`: a `Slot` holding the item's
//! postcard bytes inline when they fit in `INLINE` bytes, else the offset of
//! an arena block holding them (so items of many MiB just work). A getter
//! decodes a big item in place: once its removal is committed the block is
//! the getter's alone, and is freed when the `Item` is dropped.
//!
//! Crash safety: a process may die (SIGKILL) anywhere. Every change becomes
//! visible through one aligned store made with the mutex held — `head += 1`
//! commits a get (after the bytes were copied out), `tail_todo` commits a put
//! (after the slot was written), `ring` commits a grow (after the slots were
//! copied). A dead holder leaves the mutex `EOWNERDEAD`; the next locker makes
//! it consistent and finds the queue as of the last commit: no item is lost,
//! duplicated or half-taken. A big item's block is owned by its producer
//! until the commit (and by its getter from the commit on), so one left by
//! a killed process is freed when that process is reaped (see `shm`).
//!
//! Waiting never holds the mutex: a waiter notes the futex word under the
//! mutex, unlocks, and sleeps while the word is unchanged, so a wake between
//! the two is never lost. Nobody spins. A put wakes one
//! sleeping getter, unless one was woken and has not looked yet (`item_woken`):
//! that one will see this item too, so a fast producer makes one wake-up call
//! per consumer nap, not one per item. A woken getter that takes an item and
//! leaves more behind passes the wake on. Sleeps last at most `SLICE`, so even
//! a woken process killed before it ran delays the others by no more than that.

use super::futex;
use super::shm::{self, MutexGuard, Offset};
use super::table::WaitKind;
use super::wait::{self, Recorded};
use crate::diagnostics::{ErrorKind, ErrorObj};
use crate::runtime::{acquire_args, no_field, no_method, process, timeout_arg, Handle, Host, Table};
use crate::syntax::member::Member;
use crate::syntax::span::Span;
use crate::value::{self, Args, Value};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};

use crate::diagnostics::R;

/// Item bytes stored in the ring slot itself (a slot is 64 bytes).
const INLINE: usize = 56;
const FIRST_CAPACITY: u32 = 64;

#[repr(C)]
struct Slot {
    len: u32,
    /// Offset of the block holding the bytes; 0 when they are inline.
    block: u32,
    data: [u8; INLINE],
}

#[repr(C)]
struct QueueCell {
    mutex: libc::pthread_mutex_t,
    maxsize: u32,
    head: AtomicU32,
    tail_todo: AtomicU64,
    ring: AtomicU64,
    put_seq: AtomicU32,
    get_seq: AtomicU32,
    done_seq: AtomicU32,
    getters: AtomicU32,
    putters: AtomicU32,
    joiners: AtomicU32,
    item_woken: AtomicU32,
    room_woken: AtomicU32,
}

use super::wait::SLICE;

/// A handle to a queue in the arena.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Queue(pub(crate) Offset);

/// What a blocked call sleeps on until it may try again.
#[derive(Clone, Copy)]
enum Await {
    Item,
    Room,
    Done,
}

impl Queue {
    pub fn new(maxsize: u32) -> R<Queue> {
        let ring = shm::alloc(FIRST_CAPACITY as usize * std::mem::size_of::<Slot>())?;
        let off = shm::alloc(std::mem::size_of::<QueueCell>())?;
        let q = Queue(off);
        // SAFETY: a fresh zeroed block that no other process knows yet.
        unsafe {
            shm::init_mutex(q.mutex());
            let c = &mut *shm::at::<QueueCell>(off);
            c.maxsize = maxsize;
            c.ring.store(pack(ring.0, FIRST_CAPACITY), Relaxed);
        }
        Ok(q)
    }

    fn cell(&self) -> &QueueCell {
        // SAFETY: the offset came from `Queue::new`; shared fields are
        // atomics (or `maxsize`, written once before the handle existed); the
        // mutex is only reached through `mutex()`.
        unsafe { &*shm::at::<QueueCell>(self.0) }
    }

    fn mutex(&self) -> *mut libc::pthread_mutex_t {
        // SAFETY: a field of a live QueueCell; no reference is formed.
        unsafe { std::ptr::addr_of_mut!((*shm::at::<QueueCell>(self.0)).mutex) }
    }

    fn locked(&self) -> MutexGuard {
        // SAFETY: initialised in `new`. A holder that died left the queue as
        // of its last commit (see the module comment), so going on is safe.
        unsafe { MutexGuard::lock(self.mutex()) }
    }

    pub fn id(&self) -> u64 {
        self.0 .0 as u64
    }

    pub fn maxsize(&self) -> u32 {
        self.cell().maxsize
    }

    /// Items in the queue now (call with the mutex held for an exact answer).
    fn count(&self) -> u32 {
        let c = self.cell();
        low(c.tail_todo.load(Acquire)).wrapping_sub(c.head.load(Acquire))
    }

    fn is_full(&self) -> bool {
        let max = self.maxsize();
        max > 0 && self.count() >= max
    }

    pub fn qsize(&self) -> usize {
        let _g = self.locked();
        self.count() as usize
    }

    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    pub fn full(&self) -> bool {
        let _g = self.locked();
        self.is_full()
    }

    /// Add an item (its encoded bytes). Errors: `Full` when `block` is false
    /// and the queue is full, or when `timeout` passes first.
    pub fn put(
        &self,
        interp: &mut (impl Host + ?Sized),
        bytes: &[u8],
        mut block: bool,
        timeout: Option<f64>,
        span: Span,
    ) -> R<()> {
        // A scheduling point even when a pool puts (not only a script).
        super::explore::point(interp)?;
        // A big item is copied into its own block before taking the mutex.
        let block_off = if bytes.len() > INLINE {
            let off = shm::alloc_owned(bytes.len(), false)?;
            // SAFETY: a fresh block of at least `bytes.len()` bytes, ours alone.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), shm::at::<u8>(off), bytes.len()) };
            Some(off)
        } else {
            None
        };
        // SAFETY: the item's own block, not in the ring: it never got in.
        let unused = |off| unsafe { shm::free(off) };
        let deadline = wait::deadline_of(timeout);
        let mut rec: Option<Recorded> = None;
        loop {
            let g = self.locked();
            if !self.is_full() {
                let pushed = self.push(bytes, block_off);
                // Timed before any getter can see the item; traced after the mutex.
                let stamp = super::trace::stamp();
                drop(g);
                if let Err(e) = pushed {
                    block_off.into_iter().for_each(unused);
                    return Err(e);
                }
                self.signal(Await::Item);
                if let Some(at) = stamp {
                    super::trace::op_at(interp, "queue put", span, at);
                }
                return Ok(());
            }
            let waited = if block { self.sleep(interp, g, Await::Room, deadline, &mut rec, span) } else { Ok(false) };
            match waited {
                Ok(true) => {}
                // Timed out: one last look before giving up.
                Ok(false) if block => block = false,
                Ok(false) => {
                    block_off.into_iter().for_each(unused);
                    return Err(full_error(self.maxsize()));
                }
                Err(e) => {
                    block_off.into_iter().for_each(unused);
                    return Err(e);
                }
            }
        }
    }

    /// Write the item after the newest one and commit. Call with the mutex held.
    fn push(&self, bytes: &[u8], block_off: Option<Offset>) -> R<()> {
        let c = self.cell();
        let tt = c.tail_todo.load(Acquire);
        let (tail, todo) = (low(tt), high(tt));
        let todo =
            todo.checked_add(1).ok_or_else(|| ErrorObj::new(ErrorKind::OverflowError, "too many unfinished tasks"))?;
        if tail.wrapping_sub(c.head.load(Acquire)) >= high(c.ring.load(Acquire)) {
            self.grow()?;
        }
        let (ring, cap) = split(c.ring.load(Acquire));
        let slot = shm::at::<Slot>(Offset(ring + (tail & (cap - 1)) * std::mem::size_of::<Slot>() as u32));
        // SAFETY: the slot is past the tail: no one reads it until the commit
        // below, and the mutex is held.
        unsafe {
            (*slot).len = bytes.len() as u32;
            match block_off {
                Some(off) => (*slot).block = off.0,
                None => {
                    (*slot).block = 0;
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        std::ptr::addr_of_mut!((*slot).data).cast::<u8>(),
                        bytes.len(),
                    );
                }
            }
        }
        if let Some(off) = block_off {
            // The queue's from the commit on.
            shm::disown(off);
        }
        c.tail_todo.store(pack(tail.wrapping_add(1), todo), Release);
        c.put_seq.fetch_add(1, SeqCst);
        Ok(())
    }

    /// Double the ring, keeping every item at index `i & (cap - 1)`. Call
    /// with the mutex held.
    fn grow(&self) -> R<()> {
        let c = self.cell();
        let (old, cap) = split(c.ring.load(Acquire));
        let new_cap =
            cap.checked_mul(2).ok_or_else(|| ErrorObj::new(ErrorKind::MemoryError, "the queue is too long"))?;
        let size = std::mem::size_of::<Slot>();
        let new = shm::alloc_owned(new_cap as usize * size, true)?;
        let (head, tail) = (c.head.load(Acquire), low(c.tail_todo.load(Acquire)));
        let mut i = head;
        while i != tail {
            let from = shm::at::<Slot>(Offset(old + (i & (cap - 1)) * size as u32));
            let to = shm::at::<Slot>(Offset(new.0 + (i & (new_cap - 1)) * size as u32));
            // SAFETY: distinct blocks, both inside the arena; the mutex is held.
            unsafe { std::ptr::copy_nonoverlapping(from, to, 1) };
            i = i.wrapping_add(1);
        }
        shm::disown(new);
        c.ring.store(pack(new.0, new_cap), Release);
        // SAFETY: the old ring, replaced above under the mutex: nothing
        // reads it any more.
        unsafe { shm::free(Offset(old)) };
        Ok(())
    }

    /// Take the oldest item's bytes. Errors: `Empty` when `block` is false
    /// and the queue is empty, or when `timeout` passes first.
    pub fn get(&self, interp: &mut (impl Host + ?Sized), block: bool, timeout: Option<f64>, span: Span) -> R<Vec<u8>> {
        self.get_item(interp, block, timeout, span).map(|item| item.to_vec())
    }

    /// `get`, with the item's bytes read in place where they can be.
    pub fn get_item(
        &self,
        interp: &mut (impl Host + ?Sized),
        block: bool,
        timeout: Option<f64>,
        span: Span,
    ) -> R<Item> {
        self.take(interp, None, block, timeout, span)
    }

    /// `get` that also writes the item's first four bytes (a pool chunk id,
    /// little-endian; 0 for a shorter item) to `claim` before the removal
    /// is committed: whoever finds this process dead knows what it held,
    /// even if it died right after taking the item.
    pub fn get_claimed(&self, interp: &mut (impl Host + ?Sized), claim: &AtomicU32, span: Span) -> R<Vec<u8>> {
        self.take(interp, Some(claim), true, None, span).map(|item| item.to_vec())
    }

    fn take(
        &self,
        interp: &mut (impl Host + ?Sized),
        claim: Option<&AtomicU32>,
        mut block: bool,
        timeout: Option<f64>,
        span: Span,
    ) -> R<Item> {
        super::explore::point(interp)?;
        let deadline = wait::deadline_of(timeout);
        let mut rec: Option<Recorded> = None;
        loop {
            let g = self.locked();
            if self.count() > 0 {
                let item = self.pop(claim);
                let more = self.count() > 0;
                let stamp = super::trace::stamp();
                drop(g);
                if self.maxsize() > 0 {
                    self.signal(Await::Room);
                }
                if more {
                    self.signal(Await::Item);
                }
                if let Some(at) = stamp {
                    super::trace::op_at(interp, "queue get", span, at);
                }
                return Ok(item);
            }
            match if block { self.sleep(interp, g, Await::Item, deadline, &mut rec, span) } else { Ok(false) } {
                Ok(true) => {}
                // Timed out: one last look before giving up.
                Ok(false) if block => block = false,
                Ok(false) => return Err(ErrorObj::new(ErrorKind::Empty, "the queue is empty")),
                Err(e) => return Err(e),
            }
        }
    }

    /// Take the oldest item out, then commit its removal. Call with the
    /// mutex held and at least one item present.
    fn pop(&self, claim: Option<&AtomicU32>) -> Item {
        let c = self.cell();
        let head = c.head.load(Acquire);
        let (ring, cap) = split(c.ring.load(Acquire));
        let slot = shm::at::<Slot>(Offset(ring + (head & (cap - 1)) * std::mem::size_of::<Slot>() as u32));
        // SAFETY: the slot holds a committed item (head != tail); the mutex is
        // held so nobody else reads or frees it. A big item's block is not
        // copied: once the removal is committed it is this process's alone.
        let item = unsafe {
            let len = (*slot).len as usize;
            match (*slot).block {
                0 => {
                    let mut data = [0u8; INLINE];
                    let len = len.min(INLINE);
                    std::ptr::copy_nonoverlapping(
                        std::ptr::addr_of!((*slot).data).cast::<u8>(),
                        data.as_mut_ptr(),
                        len,
                    );
                    Item::Inline { data, len: len as u8 }
                }
                b => Item::Block { off: Offset(b), len },
            }
        };
        if let Some(claim) = claim {
            let id = item.first_chunk::<4>().map_or(0, |b| u32::from_le_bytes(*b));
            claim.store(id, SeqCst);
        }
        c.head.store(head.wrapping_add(1), Release);
        if let Item::Block { off, .. } = &item {
            // This process's alone from the commit on.
            // SAFETY: the item's block, which the ring no longer names.
            unsafe { shm::own(*off) };
        }
        c.get_seq.fetch_add(1, SeqCst);
        item
    }

    /// `task_done()`: one fewer unfinished task; ValueError if there is none.
    pub fn task_done(&self) -> R<()> {
        let c = self.cell();
        let g = self.locked();
        let tt = c.tail_todo.load(Acquire);
        if high(tt) == 0 {
            return Err(ErrorObj::new(
                ErrorKind::ValueError,
                "task_done() called more times than there were items put",
            )
            .with_help("call task_done() once for each item taken with get()"));
        }
        c.tail_todo.store(pack(low(tt), high(tt) - 1), Release);
        let finished = high(tt) == 1;
        if finished {
            c.done_seq.fetch_add(1, SeqCst);
        }
        drop(g);
        if finished && c.joiners.load(SeqCst) > 0 {
            futex::wake(&c.done_seq, i32::MAX);
        }
        Ok(())
    }

    /// `join()`: wait until every item put has been marked done.
    pub fn join(&self, interp: &mut (impl Host + ?Sized), timeout: Option<f64>, span: Span) -> R<bool> {
        let deadline = wait::deadline_of(timeout);
        let mut rec: Option<Recorded> = None;
        loop {
            let g = self.locked();
            if high(self.cell().tail_todo.load(Acquire)) == 0 {
                return Ok(true);
            }
            if !self.sleep(interp, g, Await::Done, deadline, &mut rec, span)? {
                return Ok(false);
            }
        }
    }

    /// Sleep until the awaited word changes (or the deadline passes: false).
    /// Takes the held mutex guard: the word is noted before it is released.
    fn sleep(
        &self,
        interp: &mut (impl Host + ?Sized),
        g: MutexGuard,
        what: Await,
        deadline: Option<std::time::Instant>,
        rec: &mut Option<Recorded>,
        span: Span,
    ) -> R<bool> {
        let c = self.cell();
        let (word, count, kind) = match what {
            Await::Item => (&c.put_seq, &c.getters, WaitKind::QueueGet),
            Await::Room => (&c.get_seq, &c.putters, WaitKind::QueuePut),
            Await::Done => (&c.done_seq, &c.joiners, WaitKind::QueueJoin),
        };
        let seen = word.load(SeqCst);
        count.fetch_add(1, SeqCst);
        drop(g);
        let slice_end = std::time::Instant::now() + SLICE;
        let result = match rec {
            // A signal that came since the last sleep is handled now.
            Some(_) if super::signals::ANY_PENDING.load(Relaxed) => super::safe_point(interp),
            Some(_) => Ok(()),
            None => wait::begin(interp, kind, span, self.id(), deadline.is_some()).map(|r| *rec = Some(r)),
        }
        // An untimed wait is a place where the main process looks for a deadlock.
        .and_then(|()| if deadline.is_none() { super::deadlock::tick(interp) } else { Ok(()) })
        .and_then(|()| match super::explore::on() {
            true => super::explore::block(interp, deadline),
            false => futex::wait_until(interp, word, seen, Some(deadline.map_or(slice_end, |d| d.min(slice_end))))
                .map(|woke| woke || deadline.is_none_or(|d| std::time::Instant::now() < d)),
        });
        count.fetch_sub(1, SeqCst);
        // This process runs again: a wake-up meant for "someone" has arrived.
        match what {
            Await::Item => c.item_woken.store(0, SeqCst),
            Await::Room => c.room_woken.store(0, SeqCst),
            Await::Done => {}
        }
        if !matches!(result, Ok(true)) {
            // This waiter may have taken a wake meant for the next one.
            self.pass_wake(what);
        }
        result
    }

    /// Leaving without the awaited thing: hand a possible wake on.
    fn pass_wake(&self, what: Await) {
        match what {
            Await::Item if self.count() > 0 => self.signal(what),
            Await::Room if !self.is_full() => self.signal(what),
            _ => {}
        }
    }

    /// Wake one sleeper waiting for `what`, unless one is already woken and
    /// about to look (see the module comment).
    fn signal(&self, what: Await) {
        let c = self.cell();
        let (word, sleepers, woken) = match what {
            Await::Item => (&c.put_seq, &c.getters, &c.item_woken),
            Await::Room => (&c.get_seq, &c.putters, &c.room_woken),
            Await::Done => return,
        };
        futex::wake_one_coalesced(word, sleepers, woken);
    }

    pub fn describe(&self) -> String {
        let max = self.maxsize();
        let bound = if max == 0 { String::new() } else { format!(" maxsize={max}") };
        format!("<queue #{} size={}{bound}>", self.id(), self.qsize())
    }
}

/// An item taken from a queue: its bytes, copied out of the ring when small,
/// else still in their arena block, which is freed when the item is dropped.
pub enum Item {
    Inline { data: [u8; INLINE], len: u8 },
    Block { off: Offset, len: usize },
}

impl std::ops::Deref for Item {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Item::Inline { data, len } => &data[..*len as usize],
            // SAFETY: a block of at least `len` bytes, owned by this item
            // since `pop` committed its removal.
            Item::Block { off, len } => unsafe { std::slice::from_raw_parts(shm::at::<u8>(*off), *len) },
        }
    }
}

impl Drop for Item {
    fn drop(&mut self) {
        if let Item::Block { off, .. } = self {
            // SAFETY: the item owns its block (see `own` in `pop`), and
            // its bytes are not borrowed past its drop.
            unsafe { shm::free(*off) };
        }
    }
}

fn full_error(max: u32) -> Box<ErrorObj> {
    ErrorObj::new(ErrorKind::Full, format!("the queue is full ({max} items)"))
}

fn pack(lo: u32, hi: u32) -> u64 {
    lo as u64 | (hi as u64) << 32
}

fn low(w: u64) -> u32 {
    w as u32
}

fn high(w: u64) -> u32 {
    (w >> 32) as u32
}

fn split(w: u64) -> (u32, u32) {
    (low(w), high(w))
}

/// A queue's methods and fields (see `runtime::Table`).
pub const TABLE: Table = Table {
    methods: &[
        Member::Put,
        Member::PutNowait,
        Member::Get,
        Member::GetNowait,
        Member::Qsize,
        Member::Empty,
        Member::Full,
        Member::TaskDone,
        Member::Join,
        Member::Close,
        Member::JoinThread,
        Member::CancelJoinThread,
    ],
    fields: &[Member::Maxsize],
};

thread_local! {
    /// Queues this process closed (`q.close()`), with the pid that closed
    /// them: a forked child starts with none closed.
    static CLOSED_QUEUES: std::cell::RefCell<Vec<(i32, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn closed_here(q: &Queue) -> bool {
    let me = process::my_pid();
    CLOSED_QUEUES.with(|c| c.borrow().contains(&(me, q.id())))
}

pub fn call_method(interp: &mut (impl Host + ?Sized), q: &Queue, m: &Member, a: &mut Args) -> R<Value> {
    match m {
        Member::Put | Member::PutNowait if closed_here(q) => Err(ErrorObj::new(
            ErrorKind::ValueError,
            "the queue is closed: this process called close() and can put no more",
        )
        .with_help("close() means this process is done putting; other processes can still use the queue")),
        // Python's close(): this process puts no more. There is no feeder
        // thread here (put has written the item when it returns), so
        // join_thread() has nothing to wait for and cancel_join_thread()
        // nothing to give up: no item is ever lost when a process ends.
        Member::Close => {
            a.check(0, 0, &[])?;
            let id = (process::my_pid(), q.id());
            CLOSED_QUEUES.with(|c| {
                let mut c = c.borrow_mut();
                if !c.contains(&id) {
                    c.push(id);
                }
            });
            Ok(Value::Nil)
        }
        Member::JoinThread => {
            a.check(0, 0, &[])?;
            if !closed_here(q) {
                return Err(ErrorObj::new(ErrorKind::ValueError, "join_thread() of a queue that is not closed")
                    .with_help("call q.close() first, as in Python"));
            }
            Ok(Value::Nil)
        }
        Member::CancelJoinThread => {
            a.check(0, 0, &[])?;
            Ok(Value::Nil)
        }
        Member::Put | Member::PutNowait => {
            let (timeout, block) = if *m == Member::PutNowait {
                a.check(1, 1, &[])?;
                (None, false)
            } else {
                a.check(1, 3, &["block", "timeout"])?;
                (timeout_arg(a, 2)?, a.opt(1, "block").is_none_or(|v| v.truthy()))
            };
            let put = value::wire::with_buffer(|bytes| {
                value::wire::encode_into(interp.codec(), a.get(0), bytes)?;
                q.put(interp, bytes, block, timeout, a.span)
            });
            put.map(|_| Value::Nil)
        }
        Member::Get | Member::GetNowait => {
            let (timeout, block) = if *m == Member::GetNowait {
                a.check(0, 0, &[])?;
                (None, false)
            } else {
                acquire_args(a)?
            };
            let item = q.get_item(interp, block, timeout, a.span)?;
            value::wire::decode(interp.codec_mut(), &item)
        }
        Member::Qsize | Member::Empty | Member::Full | Member::TaskDone => {
            a.check(0, 0, &[])?;
            Ok(match m {
                Member::Qsize => Value::Int(q.qsize() as i64),
                Member::Empty => Value::Bool(q.empty()),
                Member::Full => Value::Bool(q.full()),
                _ => q.task_done().map(|_| Value::Nil)?,
            })
        }
        Member::Join => {
            a.check(0, 1, &["timeout"])?;
            let timeout = timeout_arg(a, 0)?;
            let done = q.join(interp, timeout, a.span)?;
            Ok(if timeout.is_some() { Value::Bool(done) } else { Value::Nil })
        }
        _ => Err(no_method(&Handle::Queue(*q), m)),
    }
}

pub fn field_get(q: &Queue, m: &Member) -> R<Value> {
    match m {
        Member::Maxsize => Ok(Value::Int(q.maxsize() as i64)),
        _ => Err(no_field(&Handle::Queue(*q), m)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::host::Bare;
    use crate::runtime::shm::tests::{arena, in_child};

    fn put(q: &Queue, interp: &mut Bare, n: u32) -> R<()> {
        q.put(interp, &n.to_le_bytes(), false, None, Span::default())
    }

    fn get(q: &Queue, interp: &mut Bare) -> R<u32> {
        let bytes = q.get(interp, false, None, Span::default())?;
        Ok(u32::from_le_bytes(bytes.try_into().expect("4 bytes")))
    }

    #[test]
    fn items_come_out_in_order_across_wrap_around_and_growth() {
        arena();
        let mut interp = Bare::new();
        let q = Queue::new(0).unwrap();
        // Move head and tail near the end of the first ring, then grow it
        // while the live items wrap around its end.
        for i in 0..FIRST_CAPACITY - 5 {
            put(&q, &mut interp, i).unwrap();
            assert_eq!(get(&q, &mut interp).unwrap(), i);
        }
        let n = FIRST_CAPACITY * 3;
        for i in 0..n {
            put(&q, &mut interp, i).unwrap();
        }
        assert_eq!(q.qsize(), n as usize);
        for i in 0..n {
            assert_eq!(get(&q, &mut interp).unwrap(), i);
        }
        assert!(q.empty());
        let err = get(&q, &mut interp).unwrap_err();
        assert!(format!("{:?}", err.kind).contains("Empty"), "{err:?}");
    }

    #[test]
    fn a_bounded_queue_refuses_a_put_when_full() {
        arena();
        let mut interp = Bare::new();
        let q = Queue::new(3).unwrap();
        for round in 0..100 {
            for i in 0..3 {
                put(&q, &mut interp, round * 3 + i).unwrap();
            }
            assert!(q.full());
            let err = put(&q, &mut interp, 999).unwrap_err();
            assert!(format!("{:?}", err.kind).contains("Full"), "{err:?}");
            for i in 0..3 {
                assert_eq!(get(&q, &mut interp).unwrap(), round * 3 + i);
            }
        }
        assert_eq!(q.qsize(), 0);
    }

    #[test]
    fn big_items_and_items_from_another_process_arrive_whole() {
        arena();
        let mut interp = Bare::new();
        let q = Queue::new(0).unwrap();
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let code = in_child(|| {
            let mut interp = Bare::new();
            interp.rt.is_child = true;
            let ok = (0..10).all(|i| put(&q, &mut interp, i).is_ok())
                && q.put(&mut interp, &big, false, None, Span::default()).is_ok();
            i32::from(!ok)
        });
        assert_eq!(code, 0);
        for i in 0..10 {
            assert_eq!(get(&q, &mut interp).unwrap(), i);
        }
        assert_eq!(q.get(&mut interp, false, None, Span::default()).unwrap(), big);
        assert!(q.empty());
    }
}
