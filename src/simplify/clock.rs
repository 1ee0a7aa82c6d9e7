//! egg times its runs with `quanta`, whose first use calibrates the CPU's time-stamp
//! counter against the system clock in a busy loop (0.5 ms at best, up to 200 ms on a
//! busy virtual machine): more than a small problem takes to simplify. The e-graph work
//! therefore runs under a mock `quanta` clock that the runner's hook moves forward with
//! the standard monotonic clock, so egg's time limit still holds (checked at each
//! iteration) and no calibration ever runs.

use std::sync::Arc;
use std::time::Instant;

use quanta::{Clock, Mock};

/// The mock clock that egg reads, and the real time it follows.
#[derive(Clone)]
pub struct EggClock {
    clock: Clock,
    mock: Arc<Mock>,
    start: Instant,
}

impl EggClock {
    /// A clock at zero, following real time from now.
    pub fn new() -> EggClock {
        let (clock, mock) = Clock::mock();
        EggClock {
            clock,
            mock,
            start: Instant::now(),
        }
    }

    /// Moves the mock clock to the real time elapsed since `new`.
    pub fn sync(&self) {
        let real = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let shown = self.mock.value();
        if real > shown {
            self.mock.increment(real - shown);
        }
    }

    /// Runs `f` with egg reading this clock.
    pub fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        quanta::with_clock(&self.clock, f)
    }
}

impl Default for EggClock {
    fn default() -> EggClock {
        EggClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_real_time() {
        let c = EggClock::new();
        let t0 = c.run(quanta::Instant::now);
        std::thread::sleep(std::time::Duration::from_millis(2));
        c.sync();
        let t1 = c.run(quanta::Instant::now);
        assert!(t1.duration_since(t0) >= std::time::Duration::from_millis(2));
    }
}
