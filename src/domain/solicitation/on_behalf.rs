//! Asks made for someone else: a plea that names `@handle` is read as that user's own ask.

use super::{classify, language, Verdict};
use crate::domain::handle::{mentioned, mentions, Handle};

/// A user an ask names, and the verdict on the ask read as theirs.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub handle: Handle,
    pub verdict: Verdict,
}

/// The least score a reading for a named user must reach: above [`super::THRESHOLD`], because the
/// reading puts "me" into a sentence written about someone else, and where the writer speaks of
/// their own deed ("I gave @ann a +K" read as "I gave me a +K") the model sees an ask for
/// oneself that nobody made. On the written set (`tests/data/named`), asks for a friend read at
/// 0.80 or more, such readings at 0.43–0.52.
pub const NAMED_THRESHOLD: f64 = 0.6;

/// The users `text` begs for by name: each one it mentions, read as if they had written it
/// themselves (every mention of them becomes the first person, so "please everyone, give @ann
/// a +K" is "… give me a +K" for ann), kept when that reading is clearly begging. The
/// classifier learns asks for oneself, where a plea for a third party is not begging by the
/// writer; this reading is what makes a friend's campaign count for the friend. A user only
/// addressed ("thanks @ann", "@ann, can you review this?") is not begged for.
pub fn begged_for(text: &str) -> Vec<Named> {
    let spans: Vec<_> = mentions(text)
        .into_iter()
        .filter(|(range, _)| !addressed(text, range.start))
        .collect();
    if spans.is_empty() {
        return Vec::new();
    }
    let me = first_person(language(text));
    mentioned(text)
        .into_iter()
        .filter(|handle| spans.iter().any(|(_, h)| h == handle))
        .map(|handle| {
            let mut read = String::with_capacity(text.len());
            let mut from = 0;
            for (range, _) in spans.iter().filter(|(_, h)| *h == handle) {
                read.push_str(&text[from..range.start]);
                read.push_str(me);
                from = range.end;
            }
            read.push_str(&text[from..]);
            Named {
                verdict: classify(&read),
                handle,
            }
        })
        .filter(|n| n.verdict.score >= NAMED_THRESHOLD)
        .collect()
}

/// Words after which a mention addresses its user rather than speaks of them.
const ADDRESS: &[&str] = &[
    "thanks", "thank", "thx", "ty", "merci", "gracias", "danke", "dank", "bedankt", "hi", "hey",
    "hello", "hallo", "hola", "salut", "bonjour", "dear", "cc",
];

/// Whether the mention starting at byte `at` addresses its user: it opens the text, or follows
/// a greeting or thanks.
fn addressed(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end_matches(|c: char| !c.is_alphanumeric());
    let word = before
        .rsplit(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_lowercase();
    before.is_empty() || ADDRESS.contains(&word.as_str())
}

/// The first-person object pronoun that stands in for a mention ("vouch for me", "vota por
/// mí", "stem op mij").
fn first_person(language: &str) -> &'static str {
    match language {
        "nl" => "mij",
        "fr" => "moi",
        "es" => "mí",
        "de" => "mich",
        _ => "me",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        begged_for(text)
            .into_iter()
            .map(|n| n.handle.as_str().to_string())
            .collect()
    }

    #[test]
    fn a_plea_for_a_friend_counts_for_the_friend() {
        assert_eq!(
            names("Could you all +K @Ann on baking? One click, it would mean a lot to her"),
            ["ann"]
        );
        assert_eq!(
            names("Do me a favour and vouch for @bob today, please!"),
            ["bob"]
        );
    }

    /// Asks caught and look-alikes flagged, reading `@x` in each line of a written file.
    fn caught_and_flagged(file: &str) -> ((usize, usize), (usize, usize)) {
        let (mut asks, mut others) = ((0, 0), (0, 0));
        for line in file.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').collect();
            let begs = names(cols[4]) == ["x"];
            let tally = if cols[0] == "BEG" {
                &mut asks
            } else {
                &mut others
            };
            tally.0 += usize::from(begs);
            tally.1 += 1;
        }
        (asks, others)
    }

    /// Floors at the figures of docs/DETECTION.md ("Asks on a friend's behalf").
    #[test]
    fn written_asks_for_a_named_friend_are_caught() {
        let tuning = caught_and_flagged(include_str!("../../../tests/data/named/named-tuning.tsv"));
        assert!(tuning.0 .0 >= 15 && tuning.1 .0 <= 1, "{tuning:?}");
        let held_out =
            caught_and_flagged(include_str!("../../../tests/data/named/named-heldout.tsv"));
        assert!(held_out.0 .0 >= 6 && held_out.1 .0 == 0, "{held_out:?}");
    }

    #[test]
    fn naming_someone_without_asking_for_them_is_not_a_plea() {
        for text in [
            "Thanks @ann for the +K yesterday!",
            "@bob keeps begging everyone for +K, it is so annoying",
            "Reported @carl for spamming the channel with vote requests",
            "@dana, can you help me debug this test?",
        ] {
            assert_eq!(names(text), Vec::<String>::new(), "{text}");
        }
    }
}
