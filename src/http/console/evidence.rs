//! A flag's evidence at a glance: the ask with its cues marked, the pattern as a graph, a
//! burst as a sparkline, and the figures the detector weighed.

use maud::{html, Markup};
use serde_json::Value;

use super::svg;
use crate::domain::flag::Reason;
use crate::service::queue::Item;

/// The words of the text a cue names: `word:upvote` → `upvote`; `ask-verb+self` → its parts.
fn cue_words(cues: &Value) -> Vec<String> {
    cues.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .flat_map(|c| {
            let c = c.strip_prefix("word:").unwrap_or(c);
            c.split(|ch: char| !ch.is_alphanumeric() && ch != '\'')
                .filter(|w| w.chars().count() >= 2)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn cue_list(cues: &Value) -> Markup {
    html! {
        @if let Some(list) = cues.as_array() {
            @if !list.is_empty() {
                ul.cues aria-label="Cues" {
                    @for c in list { li { (c.as_str().unwrap_or("")) } }
                }
            }
        }
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

pub fn show(item: &Item) -> Markup {
    let e = &item.evidence;
    let group = || {
        let label = format!(
            "{} of {} endorsements among {}",
            item.flag.reason,
            item.edges.len(),
            item.edges
                .iter()
                .flat_map(|(a, b)| [a.as_str(), b.as_str()])
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(", ")
        );
        svg::graph(&item.edges, &label)
    };
    match item.flag.reason {
        Reason::Solicited => html! {
            blockquote.ask { (svg::marked(text(&e["text"]), &cue_words(&e["cues"]))) }
            p.small {
                "Asked " (text(&e["observed_at"]))
                @if e["broadcast"].as_bool() == Some(true) { " of everyone" }
                @if let Some(by) = e["reported_by"].as_str() { " · reported by " (by) }
                @if let Some(id) = e["solicitation_id"].as_i64() { " · report #" (id) }
            }
            (cue_list(&e["cues"]))
        },
        Reason::BeggingNote => html! {
            blockquote.ask { (svg::marked(text(&e["note"]), &cue_words(&e["cues"]))) }
            (cue_list(&e["cues"]))
        },
        Reason::Reciprocal => html! {
            (group())
            p.small {
                "Traded " (format!("{:.1}", e["hours_apart"].as_f64().unwrap_or(0.0))) " h apart"
                @if e["same_topic"].as_bool() == Some(false) { " (the other one in another topic)" }
            }
        },
        Reason::Ring => html! {
            (group())
            p.small {
                "A cycle of " (e["length"].as_i64().unwrap_or(0)) "; members with outside support: "
                (e["members_with_outside_support"].as_i64().unwrap_or(0))
            }
        },
        Reason::Lockstep => html! {
            (group())
            p.small {
                (e["endorsers"].as_array().map_or(0, Vec::len)) " endorsers in step on "
                (e["endorsees"].as_array().map_or(0, Vec::len)) " endorsees within "
                (e["window_minutes"].as_i64().unwrap_or(0)) " min; thin accounts: "
                (e["thin_endorsers"].as_i64().unwrap_or(0))
            }
        },
        Reason::Burst => html! {
            @if let Some(h) = &item.hourly {
                (svg::sparkline(h, &format!("Endorsements {} received per hour over the day before the flag: {}", item.flag.endorsee, h.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))))
            }
            p.small {
                (e["count"].as_i64().unwrap_or(0)) " this " (text(&e["scale"]))
                " against a usual " (format!("{:.1}", e["baseline_median"].as_f64().unwrap_or(0.0)))
                "; " (e["thin_endorsers"].as_i64().unwrap_or(0)) " of "
                (e["endorsers"].as_i64().unwrap_or(0)) " endorsers thin"
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_names_become_words() {
        let cues = serde_json::json!(["word:upvote", "ask-verb+self", "please"]);
        assert_eq!(
            cue_words(&cues),
            vec!["upvote", "ask", "verb", "self", "please"]
        );
    }
}
