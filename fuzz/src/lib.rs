//! Helpers shared by the mywire fuzz targets.
//!
//! [`PeakAlloc`] is a global allocator wrapper that remembers the largest single allocation
//! (or reallocation) since the last [`reset_largest`], so a target can assert that no input
//! made the library allocate more than its configured limits allow.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use mywire::codec::value::{Date, DateTime, Decimal, FromValue, Time};
use mywire::codec::{ColumnFlags, ColumnType};

static LARGEST: AtomicUsize = AtomicUsize::new(0);

/// Counts the largest single allocation; install with `#[global_allocator]`.
pub struct PeakAlloc;

// SAFETY: forwards every call to `System` unchanged; only records sizes.
unsafe impl GlobalAlloc for PeakAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

/// Forgets the largest allocation seen so far.
pub fn reset_largest() {
    LARGEST.store(0, Ordering::Relaxed);
}

/// The largest single allocation since the last reset.
pub fn largest() -> usize {
    LARGEST.load(Ordering::Relaxed)
}

/// Every column type code the library names, plus a few unknown ones.
pub const COLUMN_TYPES: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x80, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe,
    0xff,
];

/// Calls every `FromValue::from_text` getter on `cell` as a column of type `ty`; none may panic.
/// Returns how many succeeded (so the work is not optimised away).
pub fn all_getters(cell: &[u8], ty: ColumnType, flags: ColumnFlags) -> usize {
    every_getter(cell, ty, flags, false)
}

/// Calls every `FromValue::from_binary` getter on `cell` as a binary cell of a column of type
/// `ty`; none may panic. Returns how many succeeded.
pub fn all_binary_getters(cell: &[u8], ty: ColumnType, flags: ColumnFlags) -> usize {
    every_getter(cell, ty, flags, true)
}

fn every_getter(cell: &[u8], ty: ColumnType, flags: ColumnFlags, binary: bool) -> usize {
    fn g<'a, T: FromValue<'a>>(b: &'a [u8], ty: ColumnType, f: ColumnFlags, bin: bool) -> usize {
        let r = if bin {
            T::from_binary(b, ty, f)
        } else {
            T::from_text(b, ty, f)
        };
        usize::from(r.is_ok())
    }
    let (c, t, f, b) = (cell, ty, flags, binary);
    g::<u8>(c, t, f, b)
        + g::<u16>(c, t, f, b)
        + g::<u32>(c, t, f, b)
        + g::<u64>(c, t, f, b)
        + g::<i8>(c, t, f, b)
        + g::<i16>(c, t, f, b)
        + g::<i32>(c, t, f, b)
        + g::<i64>(c, t, f, b)
        + g::<bool>(c, t, f, b)
        + g::<f32>(c, t, f, b)
        + g::<f64>(c, t, f, b)
        + g::<Decimal<'_>>(c, t, f, b)
        + g::<Date>(c, t, f, b)
        + g::<DateTime>(c, t, f, b)
        + g::<Time>(c, t, f, b)
        + g::<&str>(c, t, f, b)
        + g::<String>(c, t, f, b)
        + g::<&[u8]>(c, t, f, b)
        + g::<Vec<u8>>(c, t, f, b)
}
