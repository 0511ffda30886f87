//! Merit-weighted topical reputation: the parameters, the weight of one endorsement, and the
//! score of every user in one topic (personalised PageRank over that topic's endorsements).
//! Pure code; `docs/REPUTATION.md` has the maths and the reasons for each default.

mod graph;
mod pagerank;
mod patch;
mod scale;

pub use graph::{Edge, TopicGraph};
pub use pagerank::{rank, rank_from, Ranked};
pub use patch::Renumbered;
pub use scale::{display_score, standings, Standing};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::endorsement::Status;

/// The knobs of the score. Every run records the values it used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Params {
    /// Probability of following an endorsement rather than teleporting (0 < d < 1).
    pub damping: f64,
    /// An endorsement's weight halves every this many days; `None` turns decay off.
    pub half_life_days: Option<f64>,
    /// Weight of an endorsement held by an open flag, until a moderator decides.
    pub flagged_weight: f64,
    /// The iteration stops when the scores move less than this in total (L1).
    pub tolerance: f64,
    /// ... or after this many iterations.
    pub max_iterations: u32,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            damping: 0.85,
            half_life_days: Some(365.0),
            flagged_weight: 0.25,
            tolerance: 1e-10,
            max_iterations: 200,
        }
    }
}

impl Params {
    /// How much an endorsement with `status` counts, before decay.
    pub fn status_weight(&self, status: Status) -> f64 {
        match status {
            Status::Active => 1.0,
            Status::Flagged => self.flagged_weight,
            Status::Voided | Status::Revoked => 0.0,
        }
    }

    /// The decay factor of an endorsement made at `created_at`, seen at `now` (1 if it seems
    /// to come from the future).
    pub fn decay(&self, created_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
        self.decay_to(created_at, now.max(created_at))
    }

    /// The factor by which a weight decays from `from` to `to`, above 1 when `to` is earlier:
    /// weights all decayed to one time keep the ratios they have at any other.
    pub fn decay_to(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        let Some(half_life) = self.half_life_days else {
            return 1.0;
        };
        let days = (to - from).num_seconds() as f64 / 86_400.0;
        0.5f64.powf(days / half_life)
    }

    /// The full weight of one endorsement.
    pub fn weight(&self, status: Status, created_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
        match self.status_weight(status) {
            0.0 => 0.0,
            w => w * self.decay(created_at, now),
        }
    }

    /// Why the parameters cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if !(self.damping > 0.0 && self.damping < 1.0) {
            return Err(format!("damping must be in (0, 1), not {}", self.damping));
        }
        if let Some(h) = self.half_life_days {
            if !(h.is_finite() && h > 0.0) {
                return Err(format!(
                    "half-life must be a positive number of days, not {h}"
                ));
            }
        }
        if !(0.0..=1.0).contains(&self.flagged_weight) {
            return Err(format!(
                "flagged weight must be in [0, 1], not {}",
                self.flagged_weight
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn weights_follow_status_and_halve_every_half_life() {
        let p = Params::default();
        let now = Utc::now();
        assert_eq!(p.weight(Status::Active, now, now), 1.0);
        assert_eq!(p.weight(Status::Flagged, now, now), 0.25);
        assert_eq!(p.weight(Status::Voided, now, now), 0.0);
        assert_eq!(p.weight(Status::Revoked, now, now), 0.0);
        let year_ago = now - Duration::days(365);
        assert!((p.weight(Status::Active, year_ago, now) - 0.5).abs() < 1e-12);
        // Seen from before it was made, a weight is larger: ratios stay whatever the time.
        assert!((p.decay_to(now, year_ago) - 2.0).abs() < 1e-12);
        assert_eq!(p.decay(now, year_ago), 1.0);
        let off = Params {
            half_life_days: None,
            ..p
        };
        assert_eq!(off.weight(Status::Active, year_ago, now), 1.0);
    }

    #[test]
    fn nonsense_parameters_are_refused() {
        let p = Params::default();
        assert!(p.check().is_ok());
        assert!(Params { damping: 1.0, ..p }.check().is_err());
        assert!(Params {
            half_life_days: Some(0.0),
            ..p
        }
        .check()
        .is_err());
        assert!(Params {
            flagged_weight: 2.0,
            ..p
        }
        .check()
        .is_err());
    }
}
