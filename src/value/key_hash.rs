//! How dict keys hash. Ints that differ only in their last four bits land in
//! neighbouring buckets, so keys inserted in order fill the table without a
//! cache miss per insert, as with CPython's `hash(i) == i` (`d[i] = i` over a
//! million keys: 2x faster than Fx, measured; longer runs gain little
//! and make strided keys like multiples of 1024 crowd into few buckets). Every other
//! difference between keys is scrambled (Fibonacci hashing, high bits
//! rotated down), so strides like multiples of 2^21 or of 2^21 + 1 still
//! spread over the whole table.

use std::hash::{BuildHasher, Hasher};

const SCRAMBLE: u64 = 0x9E37_79B9_7F4A_7C15;
const TOP7: u64 = 0x7f << 57;

#[derive(Default)]
pub struct KeyHasher {
    /// Strings (and anything else written as bytes) go through Fx.
    fx: rustc_hash::FxHasher,
    int: Option<u64>,
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.fx.write(bytes);
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.fx.write_u8(i);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        let x = i as u64;
        // Runs of 16 neighbouring ints share a scrambled neighbourhood.
        let run = (x >> 4).wrapping_mul(SCRAMBLE).rotate_left(26);
        // The top seven bits, which hashbrown compares before the keys,
        // must differ within a run too.
        let top7 = x.wrapping_mul(SCRAMBLE) & TOP7;
        self.int = Some((run & !15 & !TOP7) | (x & 15) | top7);
    }

    #[inline]
    fn finish(&self) -> u64 {
        match self.int {
            Some(h) => h,
            None => self.fx.finish(),
        }
    }
}

#[derive(Clone, Copy, Default)]
pub struct KeyHash;

impl BuildHasher for KeyHash {
    type Hasher = KeyHasher;

    #[inline]
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher::default()
    }
}
