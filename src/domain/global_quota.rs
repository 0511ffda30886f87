//! A key's global quota: requests a minute across every instance, decided from per-minute
//! counts kept in the database.
//!
//! The window slides: the previous minute's count weighs by how much of it still lies within
//! the last 60 seconds (the estimate rate limiters such as Cloudflare's use). So a key cannot
//! spend its quota at the end of one minute and again at the start of the next, and only two
//! counters per key are ever read.

use super::error::Rejection;

/// The largest global quota: the per-instance ceiling ([`super::keys::MAX_RATE`] a second) for
/// a minute.
pub const MAX_GLOBAL_PER_MINUTE: u32 = 60_000_000;

const MINUTE_MICROS: i64 = 60_000_000;

/// Checks a quota an admin asked for.
pub fn check(per_minute: u32) -> Result<u32, Rejection> {
    if per_minute == 0 || per_minute > MAX_GLOBAL_PER_MINUTE {
        return Err(Rejection::InvalidRate(format!(
            "global_per_minute must be 1–{MAX_GLOBAL_PER_MINUTE} (null removes the global quota)"
        )));
    }
    Ok(per_minute)
}

/// Where a moment falls: the minute counted in, and how far into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Minutes since the Unix epoch: the key of the counter this request adds to.
    pub minute: i64,
    /// Microseconds into that minute.
    into: i64,
}

impl Moment {
    pub fn at(micros_since_epoch: i64) -> Moment {
        Moment {
            minute: micros_since_epoch.div_euclid(MINUTE_MICROS),
            into: micros_since_epoch.rem_euclid(MINUTE_MICROS),
        }
    }

    /// The share of the previous minute's count that still lies within the last 60 seconds,
    /// rounded up so the estimate never undercounts.
    fn carried(self, previous: u32) -> u32 {
        let left = (MINUTE_MICROS - self.into) as u128;
        (previous as u128 * left).div_ceil(MINUTE_MICROS as u128) as u32
    }

    /// How many requests the current minute's counter may reach under `limit`.
    pub fn room(self, limit: u32, previous: u32) -> u32 {
        limit.saturating_sub(self.carried(previous))
    }

    /// Whole seconds until one more request fits, if nothing else is counted meanwhile: the
    /// previous minute fades out, then the current one does.
    pub fn retry_after(self, limit: u32, previous: u32, current: u32) -> u64 {
        (1..=120)
            .find(|s| {
                let later = Moment::at(self.minute * MINUTE_MICROS + self.into + s * 1_000_000);
                let (prev, cur) = if later.minute == self.minute {
                    (previous, current)
                } else if later.minute == self.minute + 1 {
                    (current, 0)
                } else {
                    (0, 0)
                };
                cur < later.room(limit, prev)
            })
            .unwrap_or(120) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64, secs: i64) -> Moment {
        Moment::at(minute * MINUTE_MICROS + secs * 1_000_000)
    }

    #[test]
    fn the_previous_minute_fades_as_the_current_one_goes_on() {
        assert_eq!(at(10, 0).room(100, 80), 20);
        assert_eq!(at(10, 30).room(100, 80), 60);
        assert_eq!(at(10, 45).room(100, 80), 80);
        // Rounded up: 1 request 59 s ago still counts whole.
        assert_eq!(at(10, 59).room(100, 1), 99);
        assert_eq!(at(10, 0).room(100, 500), 0);
        assert_eq!(at(10, 0).room(100, 0), 100);
    }

    #[test]
    fn a_quota_cannot_be_spent_twice_across_a_minute_boundary() {
        // 100 spent in the last second of minute 9: at the start of minute 10 nothing is left.
        assert_eq!(at(10, 0).room(100, 100), 0);
        assert_eq!(at(10, 1).room(100, 100), 1);
    }

    #[test]
    fn retry_after_is_when_one_more_request_fits() {
        // Full in the current minute, nothing before: the next minute starts with it all
        // carried, then fades one request per 0.6 s.
        assert_eq!(at(10, 50).retry_after(100, 0, 100), 11);
        // A small quota spent at the very start of a minute: 60 s to its end, then 6 s for a
        // tenth of it to fade. Retry-After can exceed a minute.
        assert_eq!(at(10, 0).retry_after(10, 0, 10), 66);
        // Half the previous minute carried, the rest spent: waits for the previous one to fade.
        assert_eq!(at(10, 30).retry_after(100, 100, 50), 1);
        assert_eq!(at(10, 0).retry_after(100, 100, 0), 1);
        let m = at(10, 0);
        let wait = m.retry_after(100, 100, 0);
        let later = Moment::at(10 * MINUTE_MICROS + wait as i64 * 1_000_000);
        assert!(0 < later.room(100, 100));
    }

    #[test]
    fn minutes_before_the_epoch_do_not_break_the_arithmetic() {
        assert_eq!(Moment::at(-1).minute, -1);
        // One microsecond before the epoch is the end of minute -1: almost nothing is carried.
        assert_eq!(Moment::at(-1).room(60, 60), 59);
    }

    #[test]
    fn quotas_outside_the_range_are_refused() {
        assert!(check(0).is_err());
        assert!(check(MAX_GLOBAL_PER_MINUTE + 1).is_err());
        assert_eq!(check(600).unwrap(), 600);
    }
}
