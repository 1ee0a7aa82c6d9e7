//! A quicker allocator than glibc's for matgrad's many small blocks, which the
//! `matgrad` binary installs (`#[global_allocator]`), as do the benches and the
//! examples that count instructions, so that they time what the binary does. A
//! program that calls the library can install it the same way:
//!
//! ```no_run
//! #[global_allocator]
//! static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();
//! ```
//!
//! Blocks of 16 bytes to 4 KiB come in classes (every multiple of 16 to 128 bytes,
//! then four sizes to each doubling: 160, 192, 224, 256, 320, ...), cut from large
//! chunks and kept on a free list per class when freed; larger or more aligned
//! blocks come from the system allocator. A process allocates a few thousand small
//! blocks in its first millisecond (the rules, the e-graph, the parser), and a
//! derivation hundreds of thousands (the e-graph's nodes, the matches of the
//! rules); glibc's allocator spends some 100 instructions on each allocation and
//! each free: a quarter of a trivial problem's process, a tenth of the largest
//! seed's derivation. Here both are a few instructions under an uncontended lock.
//! Memory is reused within a class, never given back to the system before the
//! process ends: a long-running process keeps as much of each class as it ever
//! used at once.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

/// The largest block (and class) served here.
const LARGEST: usize = 4096;
/// The classes: eight to 128 bytes, four to each doubling from there to 4096.
const CLASSES: usize = 8 + 4 * 5;
/// The alignment of every block (the system allocator serves larger ones).
const ALIGN: usize = 16;
/// The size of a chunk taken from the system allocator.
const CHUNK: usize = 64 * 1024;

struct State {
    /// The first free block of each class (each holds the next one's address).
    free: [*mut u8; CLASSES],
    /// The unused rest of the current chunk.
    next: *mut u8,
    end: *mut u8,
}

/// The allocator (see the module's documentation).
pub struct Arena {
    lock: AtomicBool,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only touched with `lock` held.
unsafe impl Sync for Arena {}

impl Default for Arena {
    fn default() -> Arena {
        Arena::new()
    }
}

impl Arena {
    /// An allocator with nothing allocated yet (for a `static`).
    pub const fn new() -> Arena {
        Arena {
            lock: AtomicBool::new(false),
            state: UnsafeCell::new(State {
                free: [null_mut(); CLASSES],
                next: null_mut(),
                end: null_mut(),
            }),
        }
    }

    /// The class of a layout served here, else `None`.
    fn class(layout: Layout) -> Option<usize> {
        let size = layout.size().max(1);
        if size > LARGEST || layout.align() > ALIGN {
            return None;
        }
        if size <= 128 {
            return Some((size - 1) / 16);
        }
        // size - 1 is (4 + q) << (k - 2) + r for q in 0..4: the block is (5 + q) << (k - 2).
        let k = (size - 1).ilog2() as usize;
        Some(8 + (k - 7) * 4 + ((size - 1) >> (k - 2)) - 4)
    }

    /// The size of the blocks of class `c`.
    fn block(c: usize) -> usize {
        if c < 8 {
            return (c + 1) * 16;
        }
        let (k, q) = (7 + (c - 8) / 4, (c - 8) % 4);
        (5 + q) << (k - 2)
    }

    /// Runs `f` on the state with the lock held.
    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held, so no other reference to the state exists.
        let out = f(unsafe { &mut *self.state.get() });
        self.lock.store(false, Ordering::Release);
        out
    }
}

impl State {
    /// A block of class `c`: a freed one, else cut from the chunk (a new chunk when
    /// the rest is too small); null when the system has no memory.
    unsafe fn take(&mut self, c: usize) -> *mut u8 {
        let head = self.free[c];
        if !head.is_null() {
            // SAFETY: a free block holds the address of the next free block.
            self.free[c] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = Arena::block(c);
        if (self.end as usize) - (self.next as usize) < size {
            // SAFETY: CHUNK is not zero and ALIGN a power of two.
            let chunk = unsafe { System.alloc(Layout::from_size_align_unchecked(CHUNK, ALIGN)) };
            if chunk.is_null() {
                return chunk;
            }
            self.next = chunk;
            // SAFETY: the chunk is CHUNK bytes long.
            self.end = unsafe { chunk.add(CHUNK) };
        }
        let block = self.next;
        // SAFETY: at least `size` bytes are left in the chunk.
        self.next = unsafe { block.add(size) };
        block
    }

    /// Puts a block of class `c` on its free list.
    unsafe fn give(&mut self, block: *mut u8, c: usize) {
        // SAFETY: the block is at least 16 bytes and 16-aligned, and no longer used.
        unsafe { block.cast::<*mut u8>().write(self.free[c]) };
        self.free[c] = block;
    }
}

// SAFETY: a block of class c is `Arena::block(c)` bytes (a multiple of 16), 16-aligned
// (chunks are 16-aligned and blocks are cut at multiples of 16), and serves only
// layouts of at most that size and alignment; a block is handed out once until freed.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Arena::class(layout) {
            // SAFETY: the lock is held by `with`.
            Some(c) => self.with(|s| unsafe { s.take(c) }),
            // SAFETY: the caller's layout has a non-zero size.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match Arena::class(layout) {
            // SAFETY: the block was allocated here with a layout of this class.
            Some(c) => self.with(|s| unsafe { s.give(ptr, c) }),
            // SAFETY: the block came from the system allocator with this layout.
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's new size with the old alignment makes a valid layout.
        let new = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (Arena::class(layout), Arena::class(new)) {
            (Some(a), Some(b)) if a == b => ptr,
            // SAFETY: both blocks came from the system allocator.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            _ => {
                // SAFETY: a new block for the new layout, the old one's bytes copied
                // (as many as both hold), the old one freed with its own layout.
                unsafe {
                    let moved = self.alloc(new);
                    if !moved.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    moved
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each size up to 4096 goes to the smallest class that holds it; the classes
    /// grow, are multiples of 16, and end at 4096.
    #[test]
    fn classes() {
        let class = |size, align| Arena::class(Layout::from_size_align(size, align).unwrap());
        for size in 1..=LARGEST {
            let c = class(size, 8).expect("served here");
            assert!(Arena::block(c) >= size, "{size}");
            assert!(c == 0 || Arena::block(c - 1) < size, "{size}");
        }
        let blocks: Vec<usize> = (0..CLASSES).map(Arena::block).collect();
        assert!(
            blocks
                .windows(2)
                .all(|w| w[0] < w[1] && w[1].is_multiple_of(16))
        );
        assert_eq!(blocks[..9], [16, 32, 48, 64, 80, 96, 112, 128, 160]);
        assert_eq!(blocks[CLASSES - 1], LARGEST);
        assert_eq!(class(4097, 8), None);
        assert_eq!(class(16, 32), None);
    }

    /// Blocks are aligned, distinct while in use, reused once freed, and keep their
    /// bytes when grown or shrunk.
    #[test]
    fn blocks() {
        let arena = Arena::new();
        unsafe {
            let l = |size| Layout::from_size_align(size, 8).unwrap();
            let a = arena.alloc(l(24));
            let b = arena.alloc(l(24));
            assert!(!a.is_null() && a != b && (a as usize).is_multiple_of(16));
            a.write_bytes(7, 24);
            let grown = arena.realloc(a, l(24), 1000);
            assert!((0..24).all(|i| *grown.add(i) == 7));
            let c = arena.alloc(l(30));
            assert_eq!(c, a, "a's block is free again");
            let big = arena.realloc(grown, l(1000), 10_000);
            assert!((0..24).all(|i| *big.add(i) == 7));
            let small = arena.realloc(big, l(10_000), 20);
            assert!((0..20).all(|i| *small.add(i) == 7));
            for (p, s) in [(b, 24), (c, 30), (small, 20)] {
                arena.dealloc(p, l(s));
            }
        }
    }
}
