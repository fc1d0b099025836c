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
//! offset 0      Header { mutex (robust, process-shared), top, free[CLASSES] }
//! HEADER_SIZE   blocks: [ class: u64 | payload (2^class - 8 bytes) ] ...
//! ```
//! A block's size is a power of two (`2^class`, at least 64 bytes); `top` is
//! the bump pointer for never-used space; a freed block goes on the free list
//! of its class (the list link is stored in its payload). The header mutex
//! guards `top` and the free lists. Primitives are never freed in v1 (they
//! live until the program ends); shared objects' data blocks are freed when
//! they grow.
//!
//! Also here: the robust process-shared pthread mutex every primitive uses.

use crate::diagnostics::ErrorObj;
use std::sync::atomic::{AtomicPtr, Ordering::*};

type R<T> = Result<T, Box<ErrorObj>>;

/// Address space reserved for the arena.
const ARENA_SIZE: usize = 1 << 30;
const MIN_CLASS: u32 = 6;
const CLASSES: usize = 31;
const HEADER_SIZE: usize = 4096;

/// Where an object lives in the arena: valid in every process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Offset(pub u32);

#[repr(C)]
struct Header {
    mutex: libc::pthread_mutex_t,
    top: u64,
    free: [u64; CLASSES],
}

static BASE: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

/// Map the arena (once per program, before the first fork).
pub fn init() -> bool {
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
    true
}

fn base() -> R<*mut u8> {
    let b = BASE.load(Acquire);
    if b.is_null() {
        return Err(ErrorObj::new("ProcessError", "the shared-memory arena is not mapped (mmap failed at start)"));
    }
    Ok(b)
}

/// A pointer to the object of type `T` at `off`.
///
/// The caller must only use offsets returned by `alloc` for a `T`.
pub fn at<T>(off: Offset) -> *mut T {
    // SAFETY: offsets come from `alloc`, which only hands out ranges inside
    // the mapping; the base is set before any handle can exist.
    unsafe { BASE.load(Relaxed).add(off.0 as usize) as *mut T }
}

fn class_of(bytes: usize) -> u32 {
    (bytes + 8).next_power_of_two().trailing_zeros().max(MIN_CLASS)
}

/// Allocate `bytes` zeroed bytes (8-aligned) in the arena.
pub fn alloc(bytes: usize) -> R<Offset> {
    alloc_block(bytes, true)
}

/// Allocate `bytes` bytes that the caller overwrites at once (a queue item):
/// a reused block keeps its old contents instead of being zeroed.
pub fn alloc_unzeroed(bytes: usize) -> R<Offset> {
    alloc_block(bytes, false)
}

fn alloc_block(bytes: usize, zeroed: bool) -> R<Offset> {
    let b = base()?;
    let class = class_of(bytes);
    let full = || {
        ErrorObj::new("MemoryError", format!("the shared-memory arena ({} MiB) is full", ARENA_SIZE >> 20))
            .with_help("shared objects and primitives live until the program ends; make fewer or smaller ones")
    };
    if class as usize >= CLASSES {
        return Err(full());
    }
    let h = b as *mut Header;
    let size = 1usize << class;
    // SAFETY: the header is valid (see `init`); its fields are only touched
    // with its mutex held.
    let block = unsafe {
        let _g = MutexGuard::lock(std::ptr::addr_of_mut!((*h).mutex));
        let head = (*h).free[class as usize];
        if head != 0 {
            let next = *(b.add(head as usize + 8) as *const u64);
            (*h).free[class as usize] = next;
            head as usize
        } else {
            let top = (*h).top as usize;
            if top + size > ARENA_SIZE {
                return Err(full());
            }
            (*h).top = (top + size) as u64;
            top
        }
    };
    // SAFETY: the block [block, block + size) is ours alone now.
    unsafe {
        *(b.add(block) as *mut u64) = class as u64;
        if zeroed {
            std::ptr::write_bytes(b.add(block + 8), 0, size - 8);
        }
    }
    Ok(Offset((block + 8) as u32))
}

/// Usable bytes of the block at `off`.
pub fn capacity(off: Offset) -> usize {
    // SAFETY: `off` came from `alloc`: its class word sits right before it.
    let class = unsafe { *at::<u64>(Offset(off.0 - 8)) };
    (1usize << class) - 8
}

/// Give a block back (it must not be used again).
pub fn free(off: Offset) {
    let Ok(b) = base() else { return };
    let h = b as *mut Header;
    let block = off.0 as usize - 8;
    // SAFETY: `off` came from `alloc`; the header is guarded by its mutex.
    unsafe {
        let class = *(b.add(block) as *const u64) as usize;
        let _g = MutexGuard::lock(std::ptr::addr_of_mut!((*h).mutex));
        *(b.add(block + 8) as *mut u64) = (*h).free[class];
        (*h).free[class] = block as u64;
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
        if libc::pthread_mutex_lock(m) == libc::EOWNERDEAD {
            libc::pthread_mutex_consistent(m);
        }
        MutexGuard(m)
    }
}

impl Drop for MutexGuard {
    fn drop(&mut self) {
        // SAFETY: we locked it in `lock`.
        unsafe { libc::pthread_mutex_unlock(self.0) };
    }
}
