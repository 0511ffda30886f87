//! Checks `plusk::domain::solicitation::classify` on arbitrary text: no panic, a finite score in
//! [0, 1], and `begging` agreeing with the score it reports against `THRESHOLD`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plusk::domain::solicitation::{classify, THRESHOLD};

/// The languages the classifier may name (`und` when unsure); anything else would leak
/// whatlang's own codes into the API.
const LANGUAGES: &[&str] = &["en", "nl", "fr", "es", "de", "und"];

fuzz_target!(|data: &[u8]| {
    // Texts arrive as JSON strings, so always valid UTF-8; lossy decoding keeps every input
    // useful instead of discarding the invalid ones.
    let text = String::from_utf8_lossy(data);
    let v = classify(&text);
    // A NaN or infinite score would poison the stored ledger payload (JSON has no NaN) and
    // every average over scores.
    assert!(v.score.is_finite(), "score {} for {text:?}", v.score);
    assert!(
        (0.0..=1.0).contains(&v.score),
        "score {} out of range for {text:?}",
        v.score
    );
    // Clients and moderators see both fields: a text reported with score >= THRESHOLD must be
    // begging, and one below it must not, or the verdict contradicts itself.
    assert_eq!(
        v.begging,
        v.score >= THRESHOLD,
        "begging {} but score {} (threshold {THRESHOLD}) for {text:?}",
        v.begging,
        v.score
    );
    assert!(
        LANGUAGES.contains(&v.language.as_str()),
        "language {:?}",
        v.language
    );
    // The API promises at most six cues, none empty.
    assert!(v.cues.len() <= 6, "{} cues", v.cues.len());
    assert!(
        v.cues.iter().all(|c| !c.is_empty()),
        "empty cue in {:?}",
        v.cues
    );
});
