//! The scheduler's shared state and its choice: probabilistic concurrency
//! testing (PCT, Burckhardt et al. 2010, as in Shuttle and Coyote).
//!
//! Every runner (a process of the program; a thread later) gets a random
//! priority when it starts. At each scheduling point the enabled runner
//! with the highest priority runs. `depth - 1` change points, step numbers
//! drawn uniformly from `1..=k` (`k`: the expected number of steps), lower
//! the priority of whoever is running at that step below every other one.
//! A bug that needs `d` ordering constraints is then found in one run with
//! probability at least `1 / (n * k^(d-1))` for `n` runners.
//!
//! Layout of the mapping (`MAP_SHARED | MAP_ANONYMOUS`, made by the main
//! process before its first fork; only the runner holding the token writes
//! it, so plain atomics suffice):
//! ```text
//! Header  current (runner holding the token), steps, clock (virtual ns),
//!         rng (splitmix64 state), deadlock flag, depth, capacity,
//!         change[MAX_DEPTH] (step numbers)
//! Runner  [capacity]: state, pid, ppid, turn (its futex word), priority,
//!         seen (steps when it blocked), wake (virtual ns it may wake at)
//! ```

use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU32, AtomicU64, Ordering::*};

/// Change points at most (`--depth` up to this + 1).
pub const MAX_DEPTH: usize = 16;
/// A wake time meaning "never" (no timeout).
pub const NEVER: u64 = u64::MAX;

/// What a runner is doing, as the scheduler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum RunState {
    Free = 0,
    /// May run when chosen.
    Runnable = 1,
    /// Blocked on a primitive: tries again once another runner has made a
    /// step, or at its wake time.
    Waiting = 2,
    /// In `sleep`: runnable again at its wake time only.
    Sleeping = 3,
    /// Ended (not yet reaped).
    Exited = 4,
}

#[repr(C)]
pub struct Runner {
    pub state: AtomicU32,
    pub pid: AtomicI32,
    pub ppid: AtomicI32,
    /// Bumped when the token is handed to this runner; it sleeps on it.
    pub turn: AtomicU32,
    pub priority: AtomicU64,
    pub seen: AtomicU64,
    pub wake: AtomicU64,
}

#[repr(C)]
pub struct Header {
    pub current: AtomicU32,
    pub deadlock: AtomicU32,
    pub steps: AtomicU64,
    pub clock: AtomicU64,
    rng: AtomicU64,
    depth: AtomicU32,
    capacity: AtomicU32,
    change: [AtomicU64; MAX_DEPTH],
}

static STATE: AtomicPtr<Header> = AtomicPtr::new(std::ptr::null_mut());

/// The state, once `init` made it.
pub fn header() -> Option<&'static Header> {
    // SAFETY: set once by `init` to a mapping that is never unmapped.
    unsafe { STATE.load(Acquire).as_ref() }
}

impl Header {
    pub fn runners(&self) -> &[Runner] {
        let n = self.capacity.load(Relaxed) as usize;
        // SAFETY: `init` mapped `capacity` runners right after the header.
        unsafe { std::slice::from_raw_parts((self as *const Header).add(1) as *const Runner, n) }
    }

    pub fn runner(&self, id: u32) -> &Runner {
        &self.runners()[id as usize]
    }

    fn next_random(&self) -> u64 {
        // splitmix64: one word of state, a good stream from any seed.
        let s = self.rng.load(Relaxed).wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.rng.store(s, Relaxed);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A fresh random priority, above every priority a change point gives.
    fn random_priority(&self) -> u64 {
        self.next_random() | 1 << 63
    }

    /// Enter a new runner (Runnable) for a process of `ppid`; its id.
    pub fn add_runner(&self, ppid: i32) -> Option<u32> {
        let (id, r) =
            self.runners().iter().enumerate().find(|(_, r)| r.state.load(Relaxed) == RunState::Free as u32)?;
        r.pid.store(0, Relaxed);
        r.ppid.store(ppid, Relaxed);
        r.priority.store(self.random_priority(), Relaxed);
        r.seen.store(0, Relaxed);
        r.wake.store(NEVER, Relaxed);
        r.state.store(RunState::Runnable as u32, SeqCst);
        Some(id as u32)
    }

    /// One more step by runner `me`: at a change point its priority drops
    /// below every other runner's (later change points lower it further).
    pub fn step(&self, me: u32) {
        let s = self.steps.fetch_add(1, SeqCst) + 1;
        let depth = self.depth.load(Relaxed) as usize;
        for (i, c) in self.change[..depth.saturating_sub(1)].iter().enumerate() {
            if c.load(Relaxed) == s {
                self.runner(me).priority.store((depth - 1 - i) as u64, Relaxed);
            }
        }
    }

    fn eligible(&self, r: &Runner) -> bool {
        let (steps, clock) = (self.steps.load(Relaxed), self.clock.load(Relaxed));
        match r.state.load(Relaxed) {
            1 => true,
            2 => steps > r.seen.load(Relaxed) || r.wake.load(Relaxed) <= clock,
            3 => r.wake.load(Relaxed) <= clock,
            _ => false,
        }
    }

    /// The runner to run next: the enabled one with the highest priority.
    /// When none is enabled, virtual time jumps to the earliest wake time.
    /// `None`: nobody can ever run again (a deadlock).
    pub fn choose(&self) -> Option<u32> {
        loop {
            let best = self.runners().iter().enumerate().filter(|(_, r)| self.eligible(r)).fold(
                None::<(usize, u64)>,
                |best, (i, r)| {
                    let p = r.priority.load(Relaxed);
                    match best {
                        Some((_, bp)) if bp >= p => best,
                        _ => Some((i, p)),
                    }
                },
            );
            if let Some((id, _)) = best {
                return Some(id as u32);
            }
            let earliest = self
                .runners()
                .iter()
                .filter(|r| matches!(r.state.load(Relaxed), 2 | 3))
                .map(|r| r.wake.load(Relaxed))
                .min()
                .filter(|&w| w != NEVER)?;
            self.clock.fetch_max(earliest, SeqCst);
        }
    }

    /// The runner of process `pid`, if it is one.
    pub fn runner_of(&self, pid: i32) -> Option<u32> {
        self.runners()
            .iter()
            .position(|r| r.state.load(Relaxed) != RunState::Free as u32 && r.pid.load(Relaxed) == pid)
            .map(|i| i as u32)
    }
}

/// Map the state for `capacity` runners, with PCT's random stream seeded by
/// `seed`, `depth - 1` change points in `1..=k`, and the calling (main)
/// process as runner 0, holding the token. False if the mapping failed.
pub fn init(capacity: usize, seed: u64, depth: u32, k: u64, pid: i32) -> bool {
    if header().is_some() {
        return true;
    }
    let bytes = std::mem::size_of::<Header>() + capacity * std::mem::size_of::<Runner>();
    // SAFETY: a fresh anonymous shared mapping; zeroed memory is a valid
    // state (every runner free). It lives until the process exits.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return false;
    }
    // SAFETY: the start of the new mapping, big enough for the header.
    let h = unsafe { &*(p as *const Header) };
    h.capacity.store(capacity as u32, Relaxed);
    h.rng.store(seed, Relaxed);
    let depth = depth.clamp(1, MAX_DEPTH as u32 + 1);
    h.depth.store(depth, Relaxed);
    for c in &h.change[..depth as usize - 1] {
        c.store(1 + h.next_random() % k.max(1), Relaxed);
    }
    STATE.store(p.cast(), Release);
    let main = h.add_runner(0);
    debug_assert_eq!(main, Some(0));
    h.runner(0).pid.store(pid, Relaxed);
    h.current.store(0, SeqCst);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_priority_runs_and_time_jumps_when_all_sleep() {
        assert!(init(8, 42, 1, 10, 1));
        let h = header().unwrap();
        let a = h.add_runner(1).unwrap();
        let top = if h.runner(0).priority.load(Relaxed) >= h.runner(a).priority.load(Relaxed) { 0 } else { a };
        assert_eq!(h.choose(), Some(top));
        // Both asleep: the earlier wake time wins, and the clock jumps to it.
        for (id, wake) in [(0, 5_000), (a, 3_000)] {
            h.runner(id).wake.store(wake, Relaxed);
            h.runner(id).state.store(RunState::Sleeping as u32, Relaxed);
        }
        assert_eq!(h.choose(), Some(a));
        assert_eq!(h.clock.load(Relaxed), 3_000);
        // A waiter is enabled again once another runner made a step.
        h.runner(a).seen.store(h.steps.load(Relaxed), Relaxed);
        h.runner(a).wake.store(NEVER, Relaxed);
        h.runner(a).state.store(RunState::Waiting as u32, Relaxed);
        h.runner(0).wake.store(NEVER, Relaxed);
        assert_eq!(h.choose(), None, "nobody can run: a deadlock");
        h.step(0);
        assert_eq!(h.choose(), Some(a));
    }
}
