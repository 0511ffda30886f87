//! The begging detectors, decided here as pure functions over the writer's [`Model`]: each
//! looks at the neighbourhood of a new endorsement and returns its finding (reason, score,
//! evidence). The service only gathers and applies them.

pub mod patterns;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::flag::{Detection, Finding, LockstepRule, Reason};
use super::model::{instant, micros, Ask, Half, Model};
use super::solicitation::classify;
use super::time;
use patterns::{
    burst as burst_stats, close_cycle, lockstep as lockstep_group, reciprocal_score,
    BURST_BASELINE_HOURS, BURST_MIN, BURST_MIN_BASELINE_HOURS, RING_WINDOW,
};

/// The longest any rule or detector looks back: how long the model keeps neighbourhoods.
pub fn lookback(d: &Detection) -> Duration {
    let burst = Duration::hours(BURST_BASELINE_HOURS as i64 + 1);
    [
        RING_WINDOW,
        burst,
        d.window,
        d.lockstep.window,
        super::rules::BUDGET_WINDOW,
    ]
    .into_iter()
    .max()
    .unwrap_or(RING_WINDOW)
        + Duration::hours(1)
}

/// The endorsement just recorded (and already applied to the model), by ids.
#[derive(Debug, Clone, Copy)]
pub struct Fresh<'a> {
    pub id: i64,
    pub endorser: i32,
    pub endorsee: i32,
    pub topic: i32,
    pub at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

/// Every detector's finding on a new endorsement, in a fixed order; none when detection is off.
pub fn detect(m: &Model, e: &Fresh<'_>, d: &Detection) -> Vec<Finding> {
    if !d.enabled {
        return Vec::new();
    }
    [
        solicited(m, e, d),
        begging_note(e.note),
        reciprocal(m, e, d),
        ring(m, e),
        burst(m, e),
        lockstep(m, e, &d.lockstep),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The strongest begging ask by the endorsee, aimed at the endorser or at everyone, about the
/// topic or none, seen in the window before the endorsement.
fn solicited(m: &Model, e: &Fresh<'_>, d: &Detection) -> Option<Finding> {
    m.asks(e.endorsee, e.at - d.window, e.at)
        .iter()
        .filter(|a| a.target.is_none_or(|t| t == e.endorser))
        .filter(|a| a.topic.is_none_or(|t| t == e.topic))
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .map(solicited_finding)
}

/// The finding an ask gives an endorsement it prompted (also for asks reported late).
pub fn solicited_finding(ask: &Ask) -> Finding {
    Finding {
        reason: Reason::Solicited,
        score: ask.score,
        evidence: json!({
            "solicitation_id": ask.id,
            "text": ask.text,
            "cues": ask.cues,
            "observed_at": time::format(instant(ask.observed_at)),
            "broadcast": ask.target.is_none(),
            "reported_by": ask.reported_by,
        }),
    }
}

fn begging_note(note: Option<&str>) -> Option<Finding> {
    let v = classify(note?);
    v.begging.then(|| Finding {
        reason: Reason::BeggingNote,
        score: v.score,
        evidence: json!({ "note": note, "cues": v.cues }),
    })
}

/// The endorsee endorsed the endorser in the same topic within the window before.
fn reciprocal(m: &Model, e: &Fresh<'_>, d: &Detection) -> Option<Finding> {
    let (id, at) = m.live_between((e.endorsee, e.endorser, e.topic), e.at - d.window, e.at)?;
    let gap = e.at - at;
    Some(Finding {
        reason: Reason::Reciprocal,
        score: reciprocal_score(gap, d.window),
        evidence: json!({ "endorsement_id": id, "created_at": time::format(at), "hours_apart": gap.num_minutes() as f64 / 60.0 }),
    })
}

/// Most neighbours followed when looking for rings and lockstep groups: keeps each check
/// bounded, however popular a user is.
const MAX_NEIGHBOURS: usize = 50;

fn live_in(halves: &[Half], topic: Option<i32>) -> impl Iterator<Item = &Half> {
    halves
        .iter()
        .filter(move |h| !h.revoked && topic.is_none_or(|t| t == h.topic))
}

/// The endorsement closes a cycle of 3 or 4 among the topic's live endorsements of the last
/// [`RING_WINDOW`]: what the endorsee gave, what the endorser received, and what the endorsee's
/// endorsees gave.
fn ring(m: &Model, e: &Fresh<'_>) -> Option<Finding> {
    let (from, topic) = (e.at - RING_WINDOW, Some(e.topic));
    let mut edges: Vec<(i64, i32, i32)> = live_in(m.received(e.endorser, from, e.at), topic)
        .map(|h| (h.id, h.other, e.endorser))
        .collect();
    for h in live_in(m.given(e.endorsee, from, e.at), topic).take(MAX_NEIGHBOURS) {
        edges.push((h.id, e.endorsee, h.other));
        edges
            .extend(live_in(m.given(h.other, from, e.at), topic).map(|g| (g.id, h.other, g.other)));
    }
    edges.retain(|(id, _, _)| *id != e.id);
    let mut cycle = close_cycle(&edges, e.endorser, e.endorsee)?;
    cycle.push(e.id);
    Some(Finding {
        reason: Reason::Ring,
        score: if cycle.len() == 3 { 0.9 } else { 0.8 },
        evidence: json!({ "cycle_endorsement_ids": cycle, "length": cycle.len() }),
    })
}

/// The endorsee's inbound endorsements this hour (all topics, revoked ones included: a burst is
/// about what arrived) against their own last week, hour by hour.
fn burst(m: &Model, e: &Fresh<'_>) -> Option<Finding> {
    let hour = Duration::hours(1);
    if m.received(e.endorsee, e.at - hour, e.at).len() < BURST_MIN as usize {
        return None;
    }
    let hours = BURST_BASELINE_HOURS + 1;
    let week = m.received(e.endorsee, e.at - hour * hours as i32, e.at);
    let mut counts = hourly_counts(week, micros(e.at), hours);
    let oldest = counts.iter().rposition(|c| *c > 0).unwrap_or(0);
    // The baseline is the user's own history in the window, and at least a day: hours before
    // anyone endorsed them say nothing about their normal rate.
    counts.truncate((oldest + 1).max(BURST_MIN_BASELINE_HOURS + 1));
    burst_stats(&counts).map(|stats| Finding {
        reason: Reason::Burst,
        score: (0.5
            + 0.5 * (f64::from(stats.last_hour) - stats.upper) / f64::from(stats.last_hour))
        .min(1.0),
        evidence: json!(stats),
    })
}

/// `counts[k]` = edges between k and k+1 hours old (k h <= age < (k+1) h), for k < `hours`.
/// One pass over a short list; a binary search per hour over a long one.
fn hourly_counts(sorted: &[Half], now: i64, hours: usize) -> Vec<u32> {
    const HOUR: i64 = 3_600_000_000;
    let mut counts = vec![0u32; hours];
    if sorted.len() <= 4 * hours {
        for h in sorted {
            let k = (now - h.at).div_euclid(HOUR);
            if let Some(c) = usize::try_from(k).ok().and_then(|k| counts.get_mut(k)) {
                *c += 1;
            }
        }
        return counts;
    }
    // Hour k is (now - (k+1) h, now - k h] in time.
    let upto = |k: usize| sorted.partition_point(|h| h.at <= now - HOUR * k as i64);
    let mut newer = upto(0);
    for (k, c) in counts.iter_mut().enumerate() {
        let older = upto(k + 1);
        *c = (newer - older) as u32;
        newer = older;
    }
    counts
}

/// Endorsers moving together: the endorser and others who endorsed the same endorsee within
/// the rule's window, compared by what each gave in that window.
fn lockstep(m: &Model, e: &Fresh<'_>, rule: &LockstepRule) -> Option<Finding> {
    let from = e.at - rule.window;
    let mine: Vec<(i32, i32)> = live_in(m.given(e.endorser, from, e.at), None)
        .map(|h| (e.endorser, h.other))
        .collect();
    if mine.len() < rule.min_endorsees {
        return None;
    }
    let mut edges = mine;
    let peers = live_in(m.received(e.endorsee, from, e.at), None)
        .filter(|h| h.other != e.endorser)
        .take(MAX_NEIGHBOURS);
    for p in peers {
        edges.extend(live_in(m.given(p.other, from, e.at), None).map(|h| (p.other, h.other)));
    }
    let group = lockstep_group(&edges, e.endorser, rule)?;
    let handles = |ids: &[i32]| -> Vec<String> {
        ids.iter()
            .map(|id| m.users.name(*id).unwrap_or_default().to_string())
            .collect()
    };
    Some(Finding {
        reason: Reason::Lockstep,
        score: (0.5 + 0.1 * group.endorsers.len() as f64).min(1.0),
        evidence: json!({
            "endorsers": handles(&group.endorsers),
            "endorsees": handles(&group.endorsees),
            "window_minutes": rule.window.num_minutes(),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn half(at: i64) -> Half {
        Half {
            at,
            id: at,
            other: 1,
            topic: 1,
            revoked: false,
        }
    }

    #[test]
    fn hourly_counts_agree_however_long_the_list() {
        const HOUR: i64 = 3_600_000_000;
        let now = 1_000 * HOUR;
        // Edges on and around every hour boundary, short and long lists alike.
        let mut times: Vec<i64> = (0..10 * HOUR)
            .step_by((HOUR / 7) as usize)
            .map(|d| now - d)
            .chain([now, now - HOUR, now - 2 * HOUR, now - 3 * HOUR + 1])
            .collect();
        times.sort();
        let short: Vec<Half> = times.iter().copied().map(half).collect();
        let by_pass = hourly_counts(&short, now, 12);
        let long: Vec<Half> = short
            .iter()
            .cycle()
            .take(short.len() * 100)
            .copied()
            .collect();
        let mut long = long;
        long.sort_by_key(|h| h.at);
        let by_search = hourly_counts(&long, now, 12);
        assert_eq!(
            by_pass.iter().map(|c| c * 100).collect::<Vec<_>>(),
            by_search
        );
        // An edge exactly one hour old is in hour 1, just younger in hour 0.
        let edge = hourly_counts(&[half(now - HOUR), half(now - HOUR + 1)], now, 3);
        assert_eq!(edge, vec![1, 1, 0]);
    }
}
