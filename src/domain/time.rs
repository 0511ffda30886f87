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
/// (chrono's RFC 3339 writer, not `format`: that parses its pattern again on every call, and
/// the writer formats two times for each endorsement it hashes.)
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Parses RFC 3339 with any offset, into UTC. An instant whose UTC year falls outside
/// 0000–9999 (`0000-01-01T00:00:00+01:00` is in year -1) is refused: [`format`] could not write
/// it back in a form this function reads, so it would break the ledger's round trip.
pub fn parse(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| truncate(t.with_timezone(&Utc)))
        .filter(|t| in_range(*t))
}

/// [`parse`] for a named field of a request or a line: refused, naming the field, when it is
/// not a timestamp plusk can hold.
pub fn parse_field(field: &'static str, raw: &str) -> Result<DateTime<Utc>, super::Rejection> {
    parse(raw).ok_or_else(|| super::Rejection::InvalidTime {
        field,
        reason: format!("{raw:?} is not an RFC 3339 timestamp"),
    })
}

/// Whether plusk can hold `t`: a UTC year in 0000–9999, which [`format`] writes and [`parse`]
/// reads back, and every database column plusk uses can store.
pub fn in_range(t: DateTime<Utc>) -> bool {
    (0..=9999).contains(&t.year())
}

/// The database form (TIMESTAMP without zone, holding UTC).
pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
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
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(raw) => super::parse(&raw)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp")),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_six_digits_and_round_trips() {
        let t = parse("2026-11-25T18:53:47.1234567+01:00").unwrap();
        assert_eq!(format(t), "2026-11-25T17:53:47.123456Z");
        assert_eq!(parse(&format(t)), Some(t));
        assert_eq!(parse("yesterday"), None);
    }

    /// The same text as the pattern the ledger's hashes were first made with, over years
    /// 0000–9999, every kind of fraction and leap seconds.
    #[test]
    fn formats_as_the_strftime_pattern_did() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (lo, hi) = (-62_167_219_200_i64, 253_402_300_799_i64);
        for i in 0..20_000 {
            let mut secs = lo + (next() % (hi - lo + 1) as u64) as i64;
            let nanos = match i % 4 {
                0 => 0,
                1 => (next() % 1_000_000) as u32 * 1000,
                2 => (next() % 1_000_000_000) as u32,
                _ => {
                    // chrono holds a leap second as nanoseconds past 10^9 in a minute's last one.
                    secs += 59 - secs.rem_euclid(60);
                    1_000_000_000 + (next() % 1_000_000) as u32 * 1000
                }
            };
            let t = DateTime::from_timestamp(secs, nanos).expect("an instant chrono holds");
            let old = t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            assert_eq!(format(t), old, "{secs} {nanos}");
        }
    }
}
