//! The begging detectors, decided here as pure functions over the writer's [`Model`]: each
//! looks at the neighbourhood of a new endorsement and returns its finding (reason, score,
//! evidence). The service only gathers and applies them.

pub mod patterns;
pub mod sweep;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::flag::{Detection, Finding, LockstepRule, Reason};
use super::model::{instant, micros, Ask, Half, Model};
use super::solicitation::classify;
use super::time;
use patterns::{
    burst as burst_stats, lockstep as lockstep_group, reciprocal_score, shortest_path, Arrivals,
    BurstStats, BURST_BASELINE_DAYS, BURST_BASELINE_HOURS, BURST_MIN, BURST_MIN_BASELINE_DAYS,
    BURST_MIN_BASELINE_HOURS, DAY_BURST_MIN, RING_WINDOW, THIN_GIVEN,
};

/// The longest any rule or detector looks back: how long the model keeps neighbourhoods.
pub fn lookback(d: &Detection) -> Duration {
    let burst = Duration::days(BURST_BASELINE_DAYS as i64 + 1);
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
    /// The endorsee's handle: asks made on their behalf name them by it.
    pub endorsee_name: &'a str,
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
        ring(m, e, &RingSearch::WRITE),
        burst(m, e, None),
        lockstep(m, e, &d.lockstep, None),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The strongest begging ask by the endorsee, or by anyone on the endorsee's behalf (naming
/// them as `@handle`), aimed at the endorser or at everyone, about the topic or none, seen in
/// the window before the endorsement.
fn solicited(m: &Model, e: &Fresh<'_>, d: &Detection) -> Option<Finding> {
    let (from, to) = (e.at - d.window, e.at);
    let own = m.asks(e.endorsee, from, to).iter().map(|a| (a, None));
    let for_them = m
        .asks_naming(e.endorsee_name, from, to)
        .iter()
        .filter(|a| a.requester != e.endorsee)
        .map(|a| (a, Some(e.endorsee_name)));
    own.chain(for_them)
        .filter(|(a, _)| a.target.is_none_or(|t| t == e.endorser))
        .filter(|(a, _)| a.topic.is_none_or(|t| t == e.topic))
        .max_by(|(a, _), (b, _)| a.score.total_cmp(&b.score))
        .map(|(a, on_behalf_of)| solicited_finding_for(a, on_behalf_of))
}

/// The finding an ask gives an endorsement it prompted (also for asks reported late).
pub fn solicited_finding(ask: &Ask) -> Finding {
    solicited_finding_for(ask, None)
}

/// [`solicited_finding`] for an endorsement of someone the ask named, not of its requester.
pub fn solicited_finding_for(ask: &Ask, on_behalf_of: Option<&str>) -> Finding {
    let mut finding = Finding {
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
        group: Vec::new(),
    };
    if let Some(name) = on_behalf_of {
        finding.evidence["on_behalf_of"] = json!(name);
    }
    finding
}

fn begging_note(note: Option<&str>) -> Option<Finding> {
    let v = classify(note?);
    v.begging.then(|| Finding {
        reason: Reason::BeggingNote,
        score: v.score,
        evidence: json!({ "note": note, "cues": v.cues }),
        group: Vec::new(),
    })
}

/// The endorsee endorsed the endorser within the window before: in the same topic, or in
/// another one as the answer to nothing (a trade moved across topics, `rust` for
/// `rust-lang`). An endorsement that answers one the endorsee already gave back is the same
/// exchange going on, not a new trade.
fn reciprocal(m: &Model, e: &Fresh<'_>, d: &Detection) -> Option<Finding> {
    let from = e.at - d.window;
    let (id, at, same_topic) = match m.live_between((e.endorsee, e.endorser, e.topic), from, e.at) {
        Some((id, at)) => (id, at, true),
        None => {
            let back = live_in(m.given(e.endorsee, from, e.at), None)
                .rev()
                .find(|h| h.other == e.endorser)?;
            let at = instant(back.at);
            let answered = live_in(m.given(e.endorser, from, at), None)
                .any(|h| h.other == e.endorsee && h.at < back.at);
            if answered {
                return None;
            }
            (back.id, at, false)
        }
    };
    let gap = e.at - at;
    Some(Finding {
        reason: Reason::Reciprocal,
        score: reciprocal_score(gap, d.window),
        evidence: json!({ "endorsement_id": id, "created_at": time::format(at), "hours_apart": gap.num_minutes() as f64 / 60.0, "same_topic": same_topic }),
        // A trade is two endorsements: the first one is flagged too.
        group: vec![id],
    })
}

/// Most neighbours followed when looking for rings and lockstep groups: keeps each check
/// bounded, however popular a user is.
const MAX_NEIGHBOURS: usize = 50;

fn live_in(halves: &[Half], topic: Option<i32>) -> impl DoubleEndedIterator<Item = &Half> {
    halves
        .iter()
        .filter(move |h| !h.revoked && topic.is_none_or(|t| t == h.topic))
}

/// How far a ring search reaches: how far back, how long a cycle, how many users it visits.
#[derive(Debug, Clone, Copy)]
pub struct RingSearch {
    pub window: Duration,
    pub max_len: usize,
    pub visits: usize,
}

impl RingSearch {
    /// At write time: cycles of 3 to 6 over the last month, visiting at most 256 users, which
    /// keeps each check bounded on a dense graph.
    pub const WRITE: RingSearch = RingSearch {
        window: RING_WINDOW,
        max_len: 6,
        visits: 256,
    };
}

/// A cycle member with this many live endorsements in the topic from outside the cycle in
/// the window has standing of their own there.
const OUTSIDE_SUPPORT: usize = 3;

/// An endorsee of a lockstep group with this many accounts outside it, not thin, endorsing
/// them in the topic in the last month has standing there (see [`standing`]).
const STANDING: usize = 2;

/// The score of a cycle most of whose members have standing in the topic but one or more do
/// not: below the hold threshold, so moderators see it and the endorsements keep counting.
/// Cycles arise by themselves among people known in a topic; a ring among them is told apart
/// only by a moderator who knows them.
pub const WEAK_RING: f64 = 0.3;

/// The endorsement closes a cycle of 3 to `s.max_len` among the topic's live endorsements of
/// the last `s.window`, following each user's most recent endorsements. Cycles arise by
/// themselves among people known in a topic, so one whose every member has support in the
/// topic from outside it is not a finding, and one where most members have it is a weak one
/// ([`WEAK_RING`]): a ring props up people nobody else endorses there.
pub fn ring(m: &Model, e: &Fresh<'_>, s: &RingSearch) -> Option<Finding> {
    let (from, topic) = (e.at - s.window, Some(e.topic));
    let out = |user: i32| -> Vec<(i64, i32)> {
        live_in(m.given(user, from, e.at), topic)
            .rev()
            .filter(|h| h.id != e.id)
            .take(MAX_NEIGHBOURS)
            .map(|h| (h.id, h.other))
            .collect()
    };
    let path = shortest_path(e.endorsee, e.endorser, s.max_len - 1, s.visits, out)?;
    let members: Vec<i32> = std::iter::once(e.endorsee)
        .chain(path.iter().map(|(_, to)| *to))
        .collect();
    let supported = members
        .iter()
        .filter(|u| outside_support(m, **u, topic, &members, from, e.at) >= OUTSIDE_SUPPORT)
        .count();
    if supported == members.len() {
        return None;
    }
    let group: Vec<i64> = path.iter().map(|(id, _)| *id).collect();
    let mut cycle = group.clone();
    cycle.push(e.id);
    // 0.9 for three down to 0.5 for seven (held), 0.4 for eight; in tenths, so seven lands on
    // the hold threshold exactly rather than a rounding below it.
    let strong = (12.0 - cycle.len() as f64).clamp(0.0, 9.0) / 10.0;
    Some(Finding {
        reason: Reason::Ring,
        score: if 2 * supported > members.len() {
            WEAK_RING.min(strong)
        } else {
            strong
        },
        evidence: json!({ "cycle_endorsement_ids": cycle, "length": cycle.len(), "members_with_outside_support": supported }),
        group,
    })
}

/// An account that gave fewer than [`THIN_GIVEN`] endorsements in the month before `since`:
/// new, or barely active.
fn is_thin(m: &Model, user: i32, since: DateTime<Utc>) -> bool {
    m.given(user, since - RING_WINDOW, since).len() < THIN_GIVEN
}

/// How many distinct accounts outside `group`, not thin at `at` (or, with `hindsight`, having
/// given at least [`THIN_GIVEN`] from a month before `at` to then), gave `user` a live
/// endorsement in `topic` in the month before `at`: standing that a group of fresh accounts
/// cannot fake by adding more fresh accounts.
fn standing(
    m: &Model,
    user: i32,
    topic: i32,
    group: &[i32],
    at: DateTime<Utc>,
    hindsight: Option<DateTime<Utc>>,
) -> usize {
    let from = at - RING_WINDOW;
    let mut seen: Vec<i32> = live_in(m.received(user, from, at), Some(topic))
        .map(|h| h.other)
        .filter(|u| !group.contains(u))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.iter()
        .filter(|u| match hindsight {
            None => !is_thin(m, **u, at),
            Some(end) => lived(m, **u, from, end, &[]) >= THIN_GIVEN,
        })
        .count()
}

/// Live endorsements `user` gave in `[from, to]` to anyone but `besides`.
fn lived(m: &Model, user: i32, from: DateTime<Utc>, to: DateTime<Utc>, besides: &[i32]) -> usize {
    live_in(m.given(user, from, to), None)
        .filter(|h| !besides.contains(&h.other))
        .count()
}

/// Live endorsements `user` received in `[from, to]` (in `topic`, or any) from outside `group`.
fn outside_support(
    m: &Model,
    user: i32,
    topic: Option<i32>,
    group: &[i32],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> usize {
    live_in(m.received(user, from, to), topic)
        .filter(|h| !group.contains(&h.other))
        .count()
}

/// A period of a burst check: its length, how many of them the baseline uses (and at least),
/// and the fewest endorsements that can be a burst.
struct Scale {
    name: &'static str,
    period: Duration,
    baseline: usize,
    min_baseline: usize,
    min: u32,
    /// The baseline holds only periods the history covers whole (see [`scale_burst`]).
    whole_periods: bool,
}

const SCALES: [Scale; 2] = [
    Scale {
        name: "hour",
        period: Duration::hours(1),
        baseline: BURST_BASELINE_HOURS,
        min_baseline: BURST_MIN_BASELINE_HOURS,
        min: BURST_MIN,
        whole_periods: false,
    },
    // A ramp that climbs a little every hour never stands out from the hour before; its day
    // stands out from the month.
    Scale {
        name: "day",
        period: Duration::days(1),
        baseline: BURST_BASELINE_DAYS,
        min_baseline: BURST_MIN_BASELINE_DAYS,
        min: DAY_BURST_MIN,
        whole_periods: true,
    },
];

/// The endorsee receives far more than their own past, this hour against the last week or
/// this day against the last month (all topics, revoked ones included: a burst is about what
/// arrived). A burst alone is a crowd as often as a campaign (a talk, a launch), so it is a
/// finding only when the endorsers who made it are mostly thin accounts or endorse each other.
///
/// With `hindsight` (the sweep; see [`lockstep`]) an endorser counts as thin only when, up to
/// then, it gave nothing at all besides its endorsement of this endorsee (a new hire who went
/// on to endorse the other mentors has a life, however short), and the burst is flagged whole:
/// every endorsement such accounts gave the endorsee in the day before, the first ones of a
/// ramp included, which came before anything stood out.
pub fn burst(m: &Model, e: &Fresh<'_>, hindsight: Option<DateTime<Utc>>) -> Option<Finding> {
    let (scale, stats) = SCALES
        .iter()
        .find_map(|s| scale_burst(m, e, s).map(|stats| (s, stats)))?;
    let since = e.at - scale.period;
    let lifeless = |u: i32, end| lived(m, u, since - RING_WINDOW, end, &[e.endorsee]) == 0;
    let since_us = micros(since);
    // `given` is what `u` gave from a month before `since` to the endorsement: thin at write
    // time is fewer than THIN_GIVEN of them up to `since` (as `is_thin` counts).
    let thin = |u: i32, given: &[Half]| match hindsight {
        None => given.partition_point(|h| h.at <= since_us) < THIN_GIVEN,
        Some(end) => lifeless(u, end),
    };
    let who = arrivals(m, e, since, thin);
    if !who.corroborate() {
        return None;
    }
    let group = match hindsight {
        None => Vec::new(),
        Some(end) => live_in(m.received(e.endorsee, e.at - Duration::days(1), e.at), None)
            .filter(|h| h.id != e.id && lifeless(h.other, end))
            .map(|h| h.id)
            .collect(),
    };
    let count = f64::from(stats.count);
    Some(Finding {
        reason: Reason::Burst,
        score: (0.5 + 0.5 * (count - stats.upper) / count).min(1.0),
        evidence: json!({
            "scale": scale.name,
            "count": stats.count,
            "baseline_median": stats.baseline_median,
            "baseline_mad": stats.baseline_mad,
            "upper": stats.upper,
            "endorsers": who.endorsers,
            "thin_endorsers": who.thin,
            "given_by_endorsers": who.given,
            "links_among_endorsers": who.links,
        }),
        group,
    })
}

fn scale_burst(m: &Model, e: &Fresh<'_>, s: &Scale) -> Option<BurstStats> {
    let periods = s.baseline + 1;
    let span = m.received(e.endorsee, e.at - s.period * periods as i32, e.at);
    let mut counts = period_counts(span, micros(e.at), micros_of(s.period), periods);
    if counts[0] < s.min {
        return None;
    }
    let oldest = counts.iter().rposition(|c| *c > 0).unwrap_or(0);
    // The baseline is the user's own history in the window, and at least `min_baseline`:
    // periods before anyone endorsed them say nothing about their normal rate.
    counts.truncate((oldest + 1).max(s.min_baseline + 1));
    if s.whole_periods {
        // A day the history covers only in part (it began that day) looks quiet beside a
        // whole one: in a history's first days every busy user would burst. Such days are
        // left out, and the day is not judged until one whole day is behind it. (The hourly
        // check keeps its minimum of quiet hours, so a crowd of fresh accounts on one user
        // is still caught on a deployment's first day.)
        let known = m.first().map_or(0, |f| micros_of(e.at - f));
        let whole = usize::try_from(known / micros_of(s.period)).unwrap_or(0);
        counts.truncate(whole);
        if counts.len() < s.min_baseline + 1 {
            return None;
        }
    }
    burst_stats(&counts, s.min)
}

fn micros_of(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

/// Who endorsed the endorsee since `since` (the most recent, up to [`MAX_NEIGHBOURS`]): how
/// many were thin (by `thin`, given each endorser and what it gave from a month before `since`
/// to the endorsement: at write time fewer than [`THIN_GIVEN`] endorsements given in the month
/// before `since`) and how many endorsements they gave each other in the month.
///
/// On a crowded endorsee this runs for fifty endorsers on every write: each endorser's list is
/// looked up once, in microseconds, all of them together ([`Model::given_spans`]).
fn arrivals(
    m: &Model,
    e: &Fresh<'_>,
    since: DateTime<Utc>,
    thin: impl Fn(i32, &[Half]) -> bool,
) -> Arrivals {
    let (month, at) = (micros(since - RING_WINDOW), micros(e.at));
    let mut endorsers: Vec<i32> = Vec::with_capacity(MAX_NEIGHBOURS);
    for h in m.received(e.endorsee, since, e.at).iter().rev() {
        if endorsers.len() == MAX_NEIGHBOURS {
            break;
        }
        if !endorsers.contains(&h.other) {
            endorsers.push(h.other);
        }
    }
    endorsers.sort_unstable();
    let (mut thin_count, mut given, mut links) = (0, 0, 0);
    for (u, theirs) in endorsers.iter().zip(m.given_spans(&endorsers, month, at)) {
        thin_count += usize::from(thin(*u, theirs));
        for h in live_in(theirs, None) {
            given += 1;
            links += usize::from(endorsers.binary_search(&h.other).is_ok());
        }
    }
    Arrivals {
        endorsers: endorsers.len(),
        thin: thin_count,
        given,
        links,
    }
}

/// `counts[k]` = edges in period k back from `now`, periods of `len` microseconds: period 0 is
/// `[now - len, now]` (an edge exactly one period old is in the last period, as in the
/// neighbourhood the detectors read), period k > 0 is `[now - (k+1) len, now - k len)`. One
/// pass over a short list; a binary search per period over a long one.
fn period_counts(sorted: &[Half], now: i64, len: i64, periods: usize) -> Vec<u32> {
    let mut counts = vec![0u32; periods];
    if sorted.len() <= 4 * periods {
        for h in sorted {
            let age = now - h.at;
            let k = if age <= len {
                0
            } else {
                (age - 1).div_euclid(len)
            };
            if let Some(c) = usize::try_from(k).ok().and_then(|k| counts.get_mut(k)) {
                *c += (age >= 0) as u32;
            }
        }
        return counts;
    }
    // The first index at or after a time.
    let at_or_after = |t: i64| sorted.partition_point(|h| h.at < t);
    let end = sorted.partition_point(|h| h.at <= now);
    let mut newer = end;
    for (k, c) in counts.iter_mut().enumerate() {
        let older = at_or_after(now - len * (k as i64 + 1));
        *c = newer.saturating_sub(older) as u32;
        newer = older;
    }
    counts
}

/// Endorsers moving together: the endorser and others who endorsed the same endorsee within
/// the rule's window, compared by what each gave in that window.
///
/// `hindsight`, for the sweep, is the end of what it reads: an account is then judged by all it
/// gave up to there, not only before. A real newcomer goes on to a life of their own; a
/// sockpuppet gives nothing but the group's endorsements. At write time, `None`.
pub fn lockstep(
    m: &Model,
    e: &Fresh<'_>,
    rule: &LockstepRule,
    hindsight: Option<DateTime<Utc>>,
) -> Option<Finding> {
    let from = e.at - rule.window;
    // (id, endorser, endorsee) of every edge looked at.
    let mine: Vec<(i64, i32, i32)> = live_in(m.given(e.endorser, from, e.at), None)
        .map(|h| (h.id, e.endorser, h.other))
        .collect();
    if mine.len() < rule.min_endorsees {
        return None;
    }
    let mut edges = mine;
    let peers = live_in(m.received(e.endorsee, from, e.at), None)
        .rev()
        .filter(|h| h.other != e.endorser)
        .take(MAX_NEIGHBOURS);
    for p in peers {
        edges.extend(live_in(m.given(p.other, from, e.at), None).map(|h| (h.id, p.other, h.other)));
    }
    let pairs: Vec<(i32, i32)> = edges.iter().map(|(_, a, b)| (*a, *b)).collect();
    let group = lockstep_group(&pairs, e.endorser, rule)?;
    // Attendees of one panel endorse the same speakers too; they have endorsed others before.
    let (group, thin) = match hindsight {
        None => {
            let thin = group
                .endorsers
                .iter()
                .filter(|u| is_thin(m, **u, from))
                .count();
            if 2 * thin < group.endorsers.len() {
                return None;
            }
            (group, thin)
        }
        // Knowing all they gave, only accounts with no life of their own can be members: the
        // group is what is left of it among them.
        Some(end) => {
            let lifeless =
                |u: i32| lived(m, u, from - RING_WINDOW, end, &group.endorsees) < THIN_GIVEN;
            let pairs: Vec<(i32, i32)> = pairs.into_iter().filter(|(a, _)| lifeless(*a)).collect();
            let group = lockstep_group(&pairs, e.endorser, rule)?;
            let n = group.endorsers.len();
            (group, n)
        }
    };
    // New hires endorsing their mentors move together too. Every mentor has standing in the
    // topic among people outside the group; a sockpuppet group props up someone who has not.
    let standing = group
        .endorsees
        .iter()
        .filter(|u| standing(m, **u, e.topic, &group.endorsers, e.at, hindsight) >= STANDING)
        .count();
    if standing == group.endorsees.len() {
        return None;
    }
    let mut members: Vec<i64> = match hindsight {
        None => edges
            .iter()
            .filter(|(id, a, b)| {
                *id != e.id && group.endorsers.contains(a) && group.endorsees.contains(b)
            })
            .map(|(id, _, _)| *id)
            .collect(),
        // With hindsight the members are accounts with no life of their own: all they gave
        // within a window either side is the campaign, also where the other member's
        // endorsement of the same person did not get through (the daily budget refused it).
        Some(end) => group
            .endorsers
            .iter()
            .flat_map(|u| live_in(m.given(*u, from, end.min(e.at + rule.window)), None))
            .map(|h| h.id)
            .filter(|id| *id != e.id)
            .collect(),
    };
    members.sort_unstable();
    members.dedup();
    let handles = |ids: &[i32]| -> Vec<String> {
        ids.iter()
            .map(|id| m.users.name(*id).unwrap_or_default().to_string())
            .collect()
    };
    let mut evidence = json!({
        "endorsers": handles(&group.endorsers),
        "endorsees": handles(&group.endorsees),
        "window_minutes": rule.window.num_minutes(),
        "thin_endorsers": thin,
        "endorsees_with_standing": standing,
    });
    if hindsight.is_some() {
        // Members' endorsements of people outside the shared set belong to the case too: a
        // moderator sees them with it (`flag_group`).
        evidence["endorsement_ids"] = json!([members.as_slice(), &[e.id]].concat());
    }
    Some(Finding {
        reason: Reason::Lockstep,
        score: (0.5 + 0.1 * group.endorsers.len() as f64).min(1.0),
        evidence,
        group: members,
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
    fn period_counts_agree_however_long_the_list() {
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
        let by_pass = period_counts(&short, now, HOUR, 12);
        let long: Vec<Half> = short
            .iter()
            .cycle()
            .take(short.len() * 100)
            .copied()
            .collect();
        let mut long = long;
        long.sort_by_key(|h| h.at);
        let by_search = period_counts(&long, now, HOUR, 12);
        assert_eq!(
            by_pass.iter().map(|c| c * 100).collect::<Vec<_>>(),
            by_search
        );
        // An edge exactly one hour old is in the last hour, as in the neighbourhood a detector
        // reads over [now - 1 h, now]; a moment older, in the hour before.
        let edge = [half(now - HOUR - 1), half(now - HOUR), half(now - HOUR + 1)];
        assert_eq!(period_counts(&edge, now, HOUR, 3), vec![2, 1, 0]);
    }
}
