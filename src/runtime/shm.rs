//! The shared arena: one big `MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE`
//! mapping made by the main process before its first fork, so every process
//! of the program sees it at the same address. Locks, semaphores, events and
//! shared objects live in it and are named by their `Offset` from its start,
//! which means the same object in every process (inherited at fork, or later
//! sent over a queue).
//!
//! Only touched pages cost memory; the rest is address space.
//!
//! Layout:
//! ```text
//! offset 0      Header { mutex (robust, process-shared), top, free[CLASSES],
//!                        owned table offset, slots, journal }
//! HEADER_SIZE   blocks: [ class: u64 | payload (2^class - 8 bytes) ] ...
//! ```
//! A block's size is a power of two (`2^class`, at least 64 bytes); `top` is
//! the bump pointer for never-used space; a freed block goes on the free list
//! of its class (the list link is stored in its payload). The header mutex
//! guards `top` and the free lists. Primitives are never freed in v1 (they
//! live until the program ends); shared objects' data blocks are freed when
//! they grow.
//!
//! Kill safety: every change to the header is one aligned store made with
//! the mutex held (a pop, a push, a bump of `top`), so a process killed
//! inside leaves it consistent. Every block in use is named by some word: a
//! structure's (a shared object's value) or, while a process holds it on its
//! own (a queue item being put or just taken), a word of that process's row
//! of the owned table (one row per process-table slot, `OWNED_PER_SLOT`
//! words). `alloc_into` and `free_from` set or clear that word in the same
//! step as the allocation or free: the header's `journal` names the word
//! while it happens, and whoever next takes the header mutex after a holder
//! died undoes a set that was not committed or finishes a clear that was.
//! When a parent reaps a child, `reclaim` frees whatever the child still
//! owned. Handing an owned block to a queue clears its row word right
//! before the commit store (a kill exactly between those two adjacent
//! stores can still lose that block; none can free a block in use).
//!
//! Also here: the robust process-shared pthread mutex every primitive uses.

use crate::diagnostics::{ErrorKind, ErrorObj};
use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering::*};

use crate::diagnostics::R;

/// Address space reserved for the arena.
const ARENA_SIZE: usize = 1 << 30;
const MIN_CLASS: u32 = 6;
const CLASSES: usize = 31;
const HEADER_SIZE: usize = 4096;

/// Where an object lives in the arena: valid in every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Offset(pub(crate) u32);

#[repr(C)]
struct Header {
    mutex: libc::pthread_mutex_t,
    top: u64,
    free: [u64; CLASSES],
    /// Offset of the owned table (0: none) and how many slots it has.
    owned: u64,
    slots: u64,
    /// The arena word an unfinished alloc or free sets or clears (0: none).
    journal: u64,
}

/// Blocks one process can own at once (more are simply not recorded).
const OWNED_PER_SLOT: usize = 8;

static BASE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
/// This process's process-table slot: its row of the owned table.
static MY_SLOT: AtomicU32 = AtomicU32::new(0);

/// Note this process's process-table slot (a child, right after its fork).
pub fn set_slot(slot: u32) {
    MY_SLOT.store(slot, Relaxed);
}

/// Map the arena (once per program, before the first fork), with an owned
/// table for `slots` processes.
pub fn init(slots: usize) -> bool {
    if !BASE.load(Acquire).is_null() {
        return true;
    }
    // SAFETY: a fresh anonymous shared mapping, never unmapped; zeroed memory
    // is a valid header once its mutex is initialised below.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            ARENA_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return false;
    }
    let h = p as *mut Header;
    // SAFETY: `h` is the start of the new mapping, big enough for a Header;
    // no other process exists yet that could use it.
    unsafe {
        init_mutex(std::ptr::addr_of_mut!((*h).mutex));
        (*h).top = HEADER_SIZE as u64;
    }
    BASE.store(p as *mut u8, Release);
    if let Ok(table) = alloc(slots * OWNED_PER_SLOT * 4) {
        // SAFETY: still the only process; the header is valid.
        unsafe {
            (*h).owned = table.0 as u64;
            (*h).slots = slots as u64;
        }
    }
    true
}

/// The owned-table row of `slot`.
fn row(b: *mut u8, slot: u32) -> &'static [AtomicU32] {
    let h = b as *const Header;
    // SAFETY: `owned` and `slots` are written once in `init`, before any
    // other process exists; the row lies inside the table's block and is
    // only used atomically.
    unsafe {
        let (off, n) = ((*h).owned as usize, (*h).slots);
        if off == 0 || slot as u64 >= n {
            return &[];
        }
        std::slice::from_raw_parts(b.add(off + slot as usize * OWNED_PER_SLOT * 4) as *const AtomicU32, OWNED_PER_SLOT)
    }
}

/// Record that this process owns the block at `off` (it just took it out of
/// a queue): if it dies, its parent frees it.
///
/// # Safety
/// `off` is a live block from `alloc*` that no shared structure names any
/// more: it may be freed (by `reclaim`) once this process is dead.
pub unsafe fn own(off: Offset) {
    let Ok(b) = base() else { return };
    if let Some(w) = row(b, MY_SLOT.load(Relaxed)).iter().find(|w| w.load(Relaxed) == 0) {
        w.store(off.0, SeqCst);
    }
}

/// The block at `off` is about to be committed to a shared structure: no
/// longer this process's alone.
pub fn disown(off: Offset) {
    let Ok(b) = base() else { return };
    if let Some(w) = row(b, MY_SLOT.load(Relaxed)).iter().find(|w| w.load(Relaxed) == off.0) {
        w.store(0, SeqCst);
    }
}

/// Free every block the (dead, reaped) process of `slot` still owned.
///
/// # Safety
/// The process of `slot` is dead and no process uses the blocks it owned
/// (see `own`).
pub unsafe fn reclaim(slot: u32) {
    let Ok(b) = base() else { return };
    for w in row(b, slot) {
        // SAFETY: the caller's contract: the dead process's blocks are unused.
        unsafe { free_from(w) };
    }
}

/// Take the header mutex. If its last holder died, first settle the one
/// step it may have left half done (`journal`, see the module comment).
///
/// # Safety
/// `b` is the arena's base.
unsafe fn lock_header(b: *mut u8) -> MutexGuard {
    let h = b as *mut Header;
    let (g, abandoned) = MutexGuard::lock_checked(std::ptr::addr_of_mut!((*h).mutex));
    let j = (*h).journal as usize;
    if abandoned && j != 0 {
        let word = &*(b.add(j) as *const AtomicU32);
        let named = word.load(SeqCst) as usize;
        // The block the word names is not handed out: an allocation that
        // did not commit, or a free that did. Either way the word lets go.
        if named != 0 && (named - 8 >= (*h).top as usize || is_list_head(b, named - 8)) {
            word.store(0, SeqCst);
        }
    }
    (*h).journal = 0;
    g
}

/// Whether `block` heads its class's free list. Call with the header mutex held.
unsafe fn is_list_head(b: *mut u8, block: usize) -> bool {
    let h = b as *mut Header;
    let class = *(b.add(block) as *const u64) as usize;
    class < CLASSES && (*h).free[class] == block as u64
}

/// Bytes of the arena in use (handed out and not freed), for tests: it
/// comes back to where it was once every process that put or took items is
/// gone, however they died.
pub fn used() -> usize {
    let Ok(b) = base() else { return 0 };
    let h = b as *mut Header;
    // SAFETY: the header is valid; its free lists are walked with its mutex held.
    unsafe {
        let _g = lock_header(b);
        let mut used = (*h).top as usize - HEADER_SIZE;
        for class in 0..CLASSES {
            let mut at = (*h).free[class] as usize;
            while at != 0 {
                used -= 1 << class;
                at = *(b.add(at + 8) as *const u64) as usize;
            }
        }
        used
    }
}

fn base() -> R<*mut u8> {
    let b = BASE.load(Acquire);
    if b.is_null() {
        return Err(ErrorObj::new(
            ErrorKind::ProcessError,
            "the shared-memory arena is not mapped (mmap failed at start)",
        ));
    }
    Ok(b)
}

/// A pointer to the object of type `T` at `off`. Making it is safe (the
/// arithmetic wraps, nothing is read); dereferencing it is only sound for
/// an offset `alloc` returned for a `T`, which is the callers' contract.
pub fn at<T>(off: Offset) -> *mut T {
    BASE.load(Relaxed).wrapping_add(off.0 as usize) as *mut T
}

fn class_of(bytes: usize) -> u32 {
    (bytes + 8).next_power_of_two().trailing_zeros().max(MIN_CLASS)
}

/// Allocate `bytes` zeroed bytes (8-aligned) in the arena.
pub fn alloc(bytes: usize) -> R<Offset> {
    alloc_block(bytes, true, None)
}

/// Allocate `bytes` bytes owned by this process (see the module comment)
/// until `disown` or `free`; `zeroed` false keeps a reused block's old
/// contents (the caller overwrites them at once).
pub fn alloc_owned(bytes: usize, zeroed: bool) -> R<Offset> {
    let b = base()?;
    let word = row(b, MY_SLOT.load(Relaxed)).iter().find(|w| w.load(Relaxed) == 0);
    alloc_block(bytes, zeroed, word)
}

/// Allocate `bytes` bytes and store their offset in `word` (an arena word
/// holding 0) in the same step, even under kill -9: the block belongs to
/// whatever structure `word` is part of.
pub fn alloc_into(bytes: usize, zeroed: bool, word: &AtomicU32) -> R<Offset> {
    alloc_block(bytes, zeroed, Some(word))
}

fn alloc_block(bytes: usize, zeroed: bool, word: Option<&AtomicU32>) -> R<Offset> {
    let b = base()?;
    let class = class_of(bytes);
    let full = || {
        ErrorObj::new(ErrorKind::MemoryError, format!("the shared-memory arena ({} MiB) is full", ARENA_SIZE >> 20))
            .with_help("shared objects and primitives live until the program ends; make fewer or smaller ones")
    };
    if class as usize >= CLASSES {
        return Err(full());
    }
    let h = b as *mut Header;
    let size = 1usize << class;
    // SAFETY: the header is valid (see `init`); its fields are only touched
    // with its mutex held. Every step below is one store; `word` is set
    // before the commit (a pop of the free list or a bump of `top`), and
    // `lock_header` undoes that if the commit never came.
    let block = unsafe {
        let _g = lock_header(b);
        let head = (*h).free[class as usize] as usize;
        let block = if head != 0 {
            head
        } else {
            let top = (*h).top as usize;
            if top + size > ARENA_SIZE {
                return Err(full());
            }
            *(b.add(top) as *mut u64) = class as u64;
            top
        };
        if let Some(w) = word {
            (*h).journal = (w.as_ptr() as usize - b as usize) as u64;
            w.store((block + 8) as u32, SeqCst);
        }
        if head != 0 {
            (*h).free[class as usize] = *(b.add(head + 8) as *const u64);
        } else {
            (*h).top = (block + size) as u64;
        }
        (*h).journal = 0;
        block
    };
    if zeroed {
        // SAFETY: the block [block, block + size) is ours alone now.
        unsafe { std::ptr::write_bytes(b.add(block + 8), 0, size - 8) };
    }
    Ok(Offset((block + 8) as u32))
}

/// Give a block back.
///
/// # Safety
/// `off` was returned by `alloc*`, is not freed yet, and nothing uses the
/// block after this call.
pub unsafe fn free(off: Offset) {
    let Ok(b) = base() else { return };
    match row(b, MY_SLOT.load(Relaxed)).iter().find(|w| w.load(Relaxed) == off.0) {
        // SAFETY: the row names `off`, which the caller gives up.
        Some(w) => unsafe { free_from(w) },
        None => {
            let word = AtomicU32::new(off.0);
            push_free(b, &word, false);
        }
    }
}

/// Free the block `word` (an arena word) names, and clear `word` in the
/// same step, even under kill -9. Nothing when it holds 0.
///
/// # Safety
/// `word` holds 0 or an offset `alloc*` returned and not yet freed, and
/// nothing uses that block after this call.
pub unsafe fn free_from(word: &AtomicU32) {
    let Ok(b) = base() else { return };
    push_free(b, word, true);
}

/// Put the block `word` names on its free list and clear `word`;
/// `journaled` when `word` is in the arena (see `lock_header`).
fn push_free(b: *mut u8, word: &AtomicU32, journaled: bool) {
    let h = b as *mut Header;
    // SAFETY: the block came from `alloc`; the header is guarded by its
    // mutex. The link is written first, the list head (the commit) next,
    // `word` last; `lock_header` clears `word` if only the commit happened.
    unsafe {
        let _g = lock_header(b);
        let off = word.load(SeqCst) as usize;
        if off == 0 {
            return;
        }
        let block = off - 8;
        let class = *(b.add(block) as *const u64) as usize;
        if journaled {
            (*h).journal = (word.as_ptr() as usize - b as usize) as u64;
        }
        *(b.add(block + 8) as *mut u64) = (*h).free[class];
        (*h).free[class] = block as u64;
        word.store(0, SeqCst);
        (*h).journal = 0;
    }
}

/// Initialise a robust, process-shared pthread mutex in place.
///
/// # Safety
/// `m` must point at writable memory in the arena that no process uses yet.
pub unsafe fn init_mutex(m: *mut libc::pthread_mutex_t) {
    let mut attr: libc::pthread_mutexattr_t = std::mem::zeroed();
    libc::pthread_mutexattr_init(&mut attr);
    libc::pthread_mutexattr_setpshared(&mut attr, libc::PTHREAD_PROCESS_SHARED);
    libc::pthread_mutexattr_setrobust(&mut attr, libc::PTHREAD_MUTEX_ROBUST);
    libc::pthread_mutex_init(m, &attr);
    libc::pthread_mutexattr_destroy(&mut attr);
}

/// Holds an internal robust mutex for a short, non-blocking critical section
/// (allocator metadata, one read or write of a shared object). If a process
/// died inside such a section the mutex is made consistent and taken anyway:
/// the data it guarded is at worst a value that was being replaced.
pub struct MutexGuard(*mut libc::pthread_mutex_t);

impl MutexGuard {
    /// # Safety
    /// `m` must point at a mutex initialised with `init_mutex`.
    pub unsafe fn lock(m: *mut libc::pthread_mutex_t) -> MutexGuard {
        Self::lock_checked(m).0
    }

    /// `lock`, also saying whether the last holder died holding it (the
    /// caller may have a half-done step to settle).
    ///
    /// # Safety
    /// As for `lock`.
    pub unsafe fn lock_checked(m: *mut libc::pthread_mutex_t) -> (MutexGuard, bool) {
        let abandoned = libc::pthread_mutex_lock(m) == libc::EOWNERDEAD;
        if abandoned {
            libc::pthread_mutex_consistent(m);
        }
        (MutexGuard(m), abandoned)
    }
}

impl Drop for MutexGuard {
    fn drop(&mut self) {
        // SAFETY: we locked it in `lock`.
        unsafe { libc::pthread_mutex_unlock(self.0) };
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Fork a child that runs `f` and leaves with `_exit(f())`; the child's
    /// exit code, or -1 if it did not exit normally.
    pub(crate) fn in_child(f: impl FnOnce() -> i32) -> i32 {
        // SAFETY: the child only runs `f` (arena atomics, futex and mutex
        // calls, glibc's fork-safe malloc) and leaves with `_exit`, never
        // returning into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or(101);
            // SAFETY: leaving the child without running the parent's atexit work.
            unsafe { libc::_exit(code) };
        }
        let mut status = 0;
        // SAFETY: `pid` is our child; `status` is a live local.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        }
    }

    pub(crate) fn arena() {
        assert!(init(4), "the arena could not be mapped");
    }

    #[test]
    fn blocks_are_zeroed_aligned_and_reused_after_free() {
        arena();
        let a = alloc(100).unwrap();
        assert_eq!(a.0 % 8, 0);
        // SAFETY: a fresh block of 100 bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(at::<u8>(a), 100) };
        assert!(bytes.iter().all(|&b| b == 0));
        bytes.fill(0xAB);
        let b = alloc(100).unwrap();
        assert_ne!(a, b);
        // SAFETY: a block of this test, not used again.
        unsafe { free(a) };
        // A class nobody else in these tests uses, so the free list is ours.
        let big = alloc(3000).unwrap();
        // SAFETY: a block of this test, not used again.
        unsafe { free(big) };
        assert_eq!(alloc(3000).unwrap(), big, "a freed block is handed out again");
        // SAFETY: a block of this test, not used again.
        unsafe { free(big) };
        let again = alloc(100).unwrap();
        // SAFETY: a live block of 100 bytes; zeroed again even when reused.
        assert!(unsafe { std::slice::from_raw_parts(at::<u8>(again), 100) }.iter().all(|&b| b == 0));
        // SAFETY: a block of this test, not used again.
        unsafe { free(again) };
        // SAFETY: a block of this test, not used again.
        unsafe { free(b) };
    }

    #[test]
    fn a_full_arena_is_an_error_and_freeing_makes_room() {
        arena();
        // Half the arena, not zeroed, so no page of it is touched.
        let half = ARENA_SIZE / 2 - 8;
        let first = alloc_block(half, false, None).unwrap();
        let err = alloc_block(half, false, None).unwrap_err();
        assert!(err.message.contains("is full"), "{}", err.message);
        assert!(alloc(1 << 40).is_err(), "a block larger than the arena");
        // SAFETY: a block of this test, not used again.
        unsafe { free(first) };
        let reused = alloc_block(half, false, None).unwrap();
        assert_eq!(reused, first);
        // SAFETY: a block of this test, not used again.
        unsafe { free(reused) };
    }

    #[test]
    fn blocks_allocated_in_a_child_are_seen_by_the_parent() {
        arena();
        let word = alloc(4).unwrap();
        // SAFETY: a live block of 4 bytes, only used atomically.
        let w = unsafe { &*at::<AtomicU32>(word) };
        let code = in_child(|| match alloc(64) {
            Ok(off) => {
                // SAFETY: the child's new block.
                unsafe { *at::<u64>(off) = 0x5eed };
                w.store(off.0, SeqCst);
                0
            }
            Err(_) => 1,
        });
        assert_eq!(code, 0);
        let off = Offset(w.load(SeqCst));
        // SAFETY: the child wrote a u64 at the start of this block.
        assert_eq!(unsafe { *at::<u64>(off) }, 0x5eed);
        // SAFETY: a block of this test, not used again.
        unsafe { free(off) };
        // SAFETY: a block of this test, not used again.
        unsafe { free(word) };
    }
}
