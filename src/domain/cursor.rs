//! Opaque page cursors: newest-first listings, and leaderboards by rank.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};

use super::Rejection;

/// Position after which the next page starts: the last item's creation time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: i64,
}

impl Cursor {
    /// Encodes as URL-safe base64 of `micros:id`, so clients treat it as opaque.
    pub fn encode(&self) -> String {
        let raw = format!("{}:{}", self.created_at.timestamp_micros(), self.id);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Decodes a cursor made by [`Cursor::encode`]; anything else is `invalid_cursor`.
    pub fn decode(raw: &str) -> Result<Cursor, Rejection> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| Rejection::InvalidCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Rejection::InvalidCursor)?;
        let (micros, id) = text.split_once(':').ok_or(Rejection::InvalidCursor)?;
        let micros: i64 = micros.parse().map_err(|_| Rejection::InvalidCursor)?;
        let id: i64 = id.parse().map_err(|_| Rejection::InvalidCursor)?;
        // A time no endorsement can have is a forged cursor, not a query for the database to
        // refuse (PostgreSQL answers "timestamp out of range").
        let created_at = DateTime::from_timestamp_micros(micros)
            .filter(|t| super::time::in_range(*t))
            .ok_or(Rejection::InvalidCursor)?;
        Ok(Cursor { created_at, id })
    }
}

/// Position in a leaderboard: the last row's rank and user id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankCursor {
    pub rank: i32,
    pub user_id: i32,
}

impl RankCursor {
    /// URL-safe base64 of `r:rank:user_id`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("r:{}:{}", self.rank, self.user_id))
    }

    /// Decodes a cursor made by [`RankCursor::encode`]; anything else is `invalid_cursor`.
    pub fn decode(raw: &str) -> Result<RankCursor, Rejection> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| Rejection::InvalidCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Rejection::InvalidCursor)?;
        let mut parts = text.splitn(3, ':');
        let (Some("r"), Some(rank), Some(user)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Rejection::InvalidCursor);
        };
        let rank: i32 = rank.parse().map_err(|_| Rejection::InvalidCursor)?;
        let user_id: i32 = user.parse().map_err(|_| Rejection::InvalidCursor)?;
        if rank < 1 {
            return Err(Rejection::InvalidCursor);
        }
        Ok(RankCursor { rank, user_id })
    }
}

/// Position in the flag queue (highest score first): the last flag's score and id. The score
/// travels as its exact bits, so no flag is skipped or repeated between pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreCursor {
    pub score: f64,
    pub id: i64,
}

impl ScoreCursor {
    /// URL-safe base64 of `score_bits:id`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.score.to_bits(), self.id))
    }

    /// Decodes a cursor made by [`ScoreCursor::encode`]; anything else is `invalid_cursor`.
    pub fn decode(raw: &str) -> Result<ScoreCursor, Rejection> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| Rejection::InvalidCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Rejection::InvalidCursor)?;
        let (bits, id) = text.split_once(':').ok_or(Rejection::InvalidCursor)?;
        let score = f64::from_bits(bits.parse().map_err(|_| Rejection::InvalidCursor)?);
        let id = id.parse().map_err(|_| Rejection::InvalidCursor)?;
        // Scores are 0–1; anything else (NaN included) was not made by plusk.
        if !(0.0..=1.0).contains(&score) {
            return Err(Rejection::InvalidCursor);
        }
        Ok(ScoreCursor { score, id })
    }
}

/// Position in a listing by name (topics by slug): the last item's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCursor(pub String);

impl NameCursor {
    /// URL-safe base64 of `n:name`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("n:{}", self.0))
    }

    /// Decodes a cursor made by [`NameCursor::encode`]; anything else is `invalid_cursor`.
    pub fn decode(raw: &str) -> Result<NameCursor, Rejection> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| Rejection::InvalidCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| Rejection::InvalidCursor)?;
        match text.strip_prefix("n:") {
            Some(name) if !name.is_empty() && name.len() <= 64 => Ok(NameCursor(name.into())),
            _ => Err(Rejection::InvalidCursor),
        }
    }
}

/// Position in a score's explanation: the run explained, and how many of its counted and of
/// its discounted endorsements earlier pages listed (both lists go largest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExplainCursor {
    pub run: i32,
    pub counted: u32,
    pub discounted: u32,
}

impl ExplainCursor {
    /// URL-safe base64 of `x:run:counted:discounted`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "x:{}:{}:{}",
            self.run, self.counted, self.discounted
        ))
    }

    /// Decodes a cursor made by [`ExplainCursor::encode`]; anything else is `invalid_cursor`.
    pub fn decode(raw: &str) -> Result<ExplainCursor, Rejection> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| Rejection::InvalidCursor)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| Rejection::InvalidCursor)?;
        let parts: Vec<&str> = text.split(':').collect();
        let ["x", run, counted, discounted] = parts[..] else {
            return Err(Rejection::InvalidCursor);
        };
        Ok(ExplainCursor {
            run: run.parse().map_err(|_| Rejection::InvalidCursor)?,
            counted: counted.parse().map_err(|_| Rejection::InvalidCursor)?,
            discounted: discounted.parse().map_err(|_| Rejection::InvalidCursor)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn explain_cursors_round_trip_and_reject_others() {
        let c = ExplainCursor {
            run: 7,
            counted: 100,
            discounted: 3,
        };
        assert_eq!(ExplainCursor::decode(&c.encode()).unwrap(), c);
        let rank = RankCursor {
            rank: 1,
            user_id: 2,
        };
        for bad in [
            "".to_string(),
            rank.encode(),
            URL_SAFE_NO_PAD.encode("x:1:2"),
            URL_SAFE_NO_PAD.encode("x:1:-2:0"),
        ] {
            assert!(ExplainCursor::decode(&bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn score_cursors_round_trip_and_reject_forgeries() {
        let c = ScoreCursor {
            score: 0.1 + 0.2,
            id: 42,
        };
        assert_eq!(ScoreCursor::decode(&c.encode()).unwrap(), c);
        let nan = URL_SAFE_NO_PAD.encode(format!("{}:1", f64::NAN.to_bits()));
        for bad in ["", "!!", &nan, &URL_SAFE_NO_PAD.encode("1:x")] {
            assert!(ScoreCursor::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn name_cursors_round_trip_and_reject_forgeries() {
        let c = NameCursor("rust-lang".into());
        assert_eq!(NameCursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "!!",
            &URL_SAFE_NO_PAD.encode("x:rust"),
            &URL_SAFE_NO_PAD.encode("n:"),
        ] {
            assert!(NameCursor::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rank_cursors_round_trip_and_reject_forgeries() {
        let c = RankCursor {
            rank: 3,
            user_id: 9,
        };
        assert_eq!(RankCursor::decode(&c.encode()), Ok(c));
        for bad in ["", "cjox", "cjowOjk", "!!"] {
            assert!(RankCursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trips_and_rejects_forgeries() {
        let c = Cursor {
            created_at: crate::domain::time::now(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        for bad in [
            "",
            "!!!",
            "bm90LWEtY3Vyc29y",
            &URL_SAFE_NO_PAD.encode("1:x"),
        ] {
            assert_eq!(
                Cursor::decode(bad),
                Err(Rejection::InvalidCursor),
                "{bad:?}"
            );
        }
        let huge = URL_SAFE_NO_PAD.encode(format!("{}:1", i64::MAX));
        assert_eq!(Cursor::decode(&huge), Err(Rejection::InvalidCursor));
    }
}
