//! Timestamps: UTC, microsecond precision, one text form.
//!
//! PostgreSQL keeps microseconds, so every instant plusk stores is truncated to microseconds
//! first; otherwise a value read back would differ from the one hashed into the ledger.

use chrono::{DateTime, Datelike, NaiveDateTime, SubsecRound, Utc};

/// The current instant, truncated to microseconds.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Truncates an instant from outside (an import line, a query) to microseconds.
pub fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

/// RFC 3339 in UTC with exactly six fractional digits: `2026-11-25T17:53:47.123456Z`.
pub fn format(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses RFC 3339 with any offset, into UTC. An instant whose UTC year falls outside
/// 0000–9999 (`0000-01-01T00:00:00+01:00` is in year -1) is refused: [`format`] could not write
/// it back in a form this function reads, so it would break the ledger's round trip.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| truncate(t.with_timezone(&Utc)))
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// The database form (TIMESTAMP without zone, holding UTC).
pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// Microseconds since the epoch of a stored timestamp in its text form, `YYYY-MM-DD HH:MM:SS`
/// with up to nine fractional digits (what SQLite holds and PostgreSQL prints). Loading the
/// writer's model reads millions of them; this is several times faster than a format-driven
/// parse, and falls back to one for any other form.
pub fn db_text_micros(s: &str) -> Option<i64> {
    fast_db_text_micros(s.as_bytes()).or_else(|| {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .map(|t| t.and_utc().timestamp_micros())
    })
}

fn fast_db_text_micros(b: &[u8]) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        i32::try_from(num(0..4)?).ok()?,
        u32::try_from(num(5..7)?).ok()?,
        u32::try_from(num(8..10)?).ok()?,
    )?;
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut micros = 0;
    if b.len() > 19 {
        let frac = b.get(20..)?;
        if b[19] != b'.' || frac.is_empty() || frac.len() > 9 {
            return None;
        }
        let digits = num(20..b.len())?;
        // Scale to six digits: truncate nanoseconds, pad milliseconds.
        micros = match frac.len() {
            n if n <= 6 => digits * 10i64.pow(6 - n as u32),
            n => digits / 10i64.pow(n as u32 - 6),
        };
    }
    let days = i64::from(date.num_days_from_ce()) - 719_163;
    Some(((days * 24 + h) * 60 + m) * 60_000_000 + sec * 1_000_000 + micros)
}

/// Serde adapter writing timestamps in [`format`]'s form.
pub mod serde_micros {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse(&raw).ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

/// Like [`serde_micros`], for optional timestamps.
pub mod serde_micros_opt {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(*t)),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_parses_as_chrono_does() {
        for raw in [
            "2025-01-01 00:00:00",
            "2025-01-01 00:00:31.536",
            "1999-12-31 23:59:59.999999",
            "2024-02-29 12:34:56.1",
            "0001-01-01 00:00:00.000001",
            "9999-12-31 23:59:59.123456789",
            "1969-07-20 20:17:40.5",
        ] {
            let chrono = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap()
                .and_utc()
                .timestamp_micros();
            assert_eq!(db_text_micros(raw), Some(chrono), "{raw}");
        }
        for bad in [
            "2025-13-01 00:00:00",
            "2025-01-01T00:00:00",
            "2025-01-01 24:00:00",
            "x",
        ] {
            assert_eq!(fast_db_text_micros(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn formats_with_six_digits_and_round_trips() {
        let t = parse("2026-11-25T18:53:47.1234567+01:00").unwrap();
        assert_eq!(format(t), "2026-11-25T17:53:47.123456Z");
        assert_eq!(parse(&format(t)), Some(t));
        assert_eq!(parse("yesterday"), None);
    }
}
