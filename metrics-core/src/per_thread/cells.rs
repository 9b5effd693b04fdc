//! The cells behind [`Counter`](crate::Counter) and [`Meter`](crate::Meter)
//! counts, kept in per-thread blocks as kernels keep per-CPU counters.
//!
//! Every live count gets an index. Each slot (see [`super::slot`]) has its
//! own table of blocks, and the cell of count `i` for that slot's thread is
//! cell `i % BLOCK` of block `i / BLOCK`: 8 bytes per count per recording
//! thread, with no padding, because a block is only ever written by its own
//! thread. Blocks are allocated the first time their thread writes into
//! them, so memory grows with the threads that record, not with the CPUs.
//!
//! A count whose index is past the tables (more than [`MAX_INDEXED`] live
//! counts), and threads without a slot, use the count's one shared cell with
//! atomic adds. A dropped count zeroes its cells and gives its index back.

use super::slot::{self, MAX_SLOTS};
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering::*};
use std::sync::{Mutex, OnceLock};

/// Cells per block: 1 KiB, aligned so that blocks of two threads never share
/// a cache line (or the adjacent one the prefetcher pairs with it).
const BLOCK: usize = 128;
/// Blocks per slot table.
const BLOCKS: usize = 128;
/// How many live counts get per-thread cells; later ones share one cell.
pub(crate) const MAX_INDEXED: usize = BLOCK * BLOCKS;

#[repr(align(128))]
struct Block([AtomicI64; BLOCK]);

type Table = [OnceLock<Box<Block>>];

/// One table per slot, allocated when the slot's thread first records.
static TABLES: [OnceLock<Box<Table>>; MAX_SLOTS] = [const { OnceLock::new() }; MAX_SLOTS];

/// One past the highest slot that has a table: readers look no further.
static TABLES_USED: AtomicUsize = AtomicUsize::new(0);

/// The tables that may exist. A table created after this was read holds
/// only records made after it, which a read that started earlier may miss.
fn tables() -> impl Iterator<Item = &'static Table> {
    TABLES
        .iter()
        .take(TABLES_USED.load(Acquire))
        .filter_map(|t| t.get().map(|t| &**t))
}

/// Indices handed out, and those given back.
static INDICES: Mutex<Indices> = Mutex::new(Indices {
    next: 0,
    free: Vec::new(),
});

struct Indices {
    next: usize,
    free: Vec<usize>,
}

/// A signed count striped across threads.
#[derive(Debug)]
pub(crate) struct Cells {
    /// The block of its cells in every slot table (past the tables when
    /// every index is in use), and the cell in that block.
    block: usize,
    cell: usize,
    /// For threads without a slot, and counts without an index.
    shared: AtomicI64,
}

impl Cells {
    pub(crate) fn new() -> Self {
        let mut indices = INDICES.lock().unwrap_or_else(|e| e.into_inner());
        let index = indices.free.pop().or_else(|| {
            (indices.next < MAX_INDEXED).then(|| {
                indices.next += 1;
                indices.next - 1
            })
        });
        let index = index.unwrap_or(usize::MAX);
        Self {
            block: index / BLOCK,
            cell: index % BLOCK,
            shared: AtomicI64::new(0),
        }
    }

    #[inline]
    pub(crate) fn add(&self, n: i64) {
        // The thread's own table, cached while it holds its slot.
        let own = OWN_TABLE.with(Cell::get);
        let cell = match own.and_then(|t| t.get(self.block)).and_then(OnceLock::get) {
            Some(block) => &block.0[self.cell % BLOCK],
            None => match self.own_cell() {
                Some(cell) => cell,
                None => {
                    self.shared.fetch_add(n, Relaxed);
                    return;
                }
            },
        };
        cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
    }

    /// The calling thread's own cell, claiming a slot and allocating its
    /// table or block on first use; `None` without an index, without a
    /// slot, or while the thread is busy allocating already.
    #[cold]
    fn own_cell(&self) -> Option<&'static AtomicI64> {
        if self.block >= BLOCKS {
            return None;
        }
        let slot = slot::current()?;
        let table = match TABLES[slot].get() {
            Some(t) => t,
            None => {
                let table = slot::fill(&TABLES[slot], || {
                    (0..BLOCKS).map(|_| OnceLock::new()).collect::<Box<Table>>()
                })?;
                TABLES_USED.fetch_max(slot + 1, Release);
                table
            }
        };
        // Re-check: a slot claimed just now may already have been given
        // back (the thread is exiting).
        if slot::current() == Some(slot) {
            OWN_TABLE.with(|t| t.set(Some(table)));
        }
        let block = match table[self.block].get() {
            Some(b) => b,
            None => slot::fill(&table[self.block], || {
                Box::new(Block([const { AtomicI64::new(0) }; BLOCK]))
            })?,
        };
        Some(&block.0[self.cell])
    }

    /// The sum of every cell (wrapping).
    pub(crate) fn sum(&self) -> i64 {
        let mut sum = self.shared.load(Relaxed);
        for table in tables() {
            if let Some(b) = table.get(self.block).and_then(OnceLock::get) {
                sum = sum.wrapping_add(b.0[self.cell].load(Relaxed));
            }
        }
        sum
    }

    /// The sums of many counts at once (wrapping). Each thread's blocks are
    /// read in one pass, instead of every thread's block once per count:
    /// far fewer cache and TLB misses when many threads have recorded.
    pub(crate) fn sum_many(cells: &[&Cells]) -> Vec<i64> {
        let mut sums: Vec<i64> = cells.iter().map(|c| c.shared.load(Relaxed)).collect();
        for table in tables() {
            for (sum, c) in sums.iter_mut().zip(cells) {
                if let Some(b) = table.get(c.block).and_then(OnceLock::get) {
                    *sum = sum.wrapping_add(b.0[c.cell].load(Relaxed));
                }
            }
        }
        sums
    }

    /// Heap bytes this count holds: its share of the blocks (8 bytes per
    /// thread that has a block for it).
    pub(crate) fn bytes(&self) -> usize {
        let threads = tables()
            .filter(|t| t.get(self.block).is_some_and(|b| b.get().is_some()))
            .count();
        threads * std::mem::size_of::<AtomicI64>()
    }
}

impl Drop for Cells {
    fn drop(&mut self) {
        if self.block >= BLOCKS {
            return;
        }
        let (block, cell) = (self.block, self.cell);
        // No handle is left, so no thread writes these cells any more; the
        // next owner of the index is handed it through the mutex below, so
        // it sees the zeros.
        for table in &TABLES {
            if let Some(b) = table.get().and_then(|t| t[block].get()) {
                b.0[cell].store(0, Relaxed);
            }
        }
        let mut indices = INDICES.lock().unwrap_or_else(|e| e.into_inner());
        indices.free.push(block * BLOCK + cell);
    }
}

thread_local! {
    /// The calling thread's slot table while it holds the slot.
    static OWN_TABLE: Cell<Option<&'static Table>> = const { Cell::new(None) };
}

/// Forgets the calling thread's table: called when it gives its slot back,
/// before another thread can claim it.
pub(crate) fn release_thread() {
    OWN_TABLE.with(|t| t.set(None));
}
