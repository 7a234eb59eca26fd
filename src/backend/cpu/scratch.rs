//! Reusable temporaries (im2col columns, Winograd tiles): large buffers kept between layers
//! and runs, so they are neither zeroed nor faulted in again.

use std::sync::Mutex;

/// A pool of float buffers.
#[derive(Debug, Default)]
pub struct Scratch {
    free: Mutex<Vec<Vec<f32>>>,
}

impl Clone for Scratch {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Scratch {
    /// A buffer of `n` values whose contents are unspecified (stale values from earlier use,
    /// zeros where it grew): callers overwrite every value they read.
    pub fn take(&self, n: usize) -> Vec<f32> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let best = free
            .iter()
            .enumerate()
            .filter(|(_, b)| b.capacity() >= n)
            .min_by_key(|(_, b)| b.capacity())
            .map(|(i, _)| i);
        let mut buf = match best {
            Some(i) => free.swap_remove(i),
            None => free.pop().unwrap_or_default(),
        };
        if buf.len() >= n {
            buf.truncate(n);
        } else {
            buf.resize(n, 0.0);
        }
        buf
    }

    /// Returns a buffer to the pool.
    pub fn give(&self, buf: Vec<f32>) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.len() < 8 {
            free.push(buf);
        }
    }
}
