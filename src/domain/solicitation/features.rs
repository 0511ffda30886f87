//! From normalised text to named features: the cues a moderator can read, their pairings,
//! and the words themselves. (Word pairs were tried and left out: they fit the tuning corpus's
//! phrasings without judging new text any better in cross-validation.)

use super::lexicon::{self as lex, contains};

/// Cue families looked for in the tokens.
const FAMILIES: &[(&str, &[&str])] = &[
    ("self", lex::SELF),
    ("ask-verb", lex::ASK_VERB),
    ("please", lex::PLEASE),
    ("question", lex::MODAL),
    ("trade", lex::QUID),
    ("negation", lex::NEG),
    ("about-begging", lex::ABOUT_BEGGING),
    ("thanks", lex::THANKS),
    ("third-party", lex::OTHERS),
    ("describes-feature", lex::DESCRIBE),
    ("past-giving", lex::GAVE),
    ("addresses-reader", lex::YOU),
    ("asks-help", lex::HELP),
    ("contest", lex::CONTEST),
    ("reported-speech", lex::REPORTED),
    ("wish", lex::WISH),
    ("family", lex::FAMILY),
    ("advance", lex::ADVANCE),
    ("goal", lex::GOAL),
    ("candidate", lex::CANDIDATE),
    ("give", lex::GIVE),
    ("seeks-advice", lex::SEEK),
    ("coy", lex::COY),
];

/// How close (in tokens) two cues must be to count as one phrase.
const WINDOW: usize = 4;

/// The features of one normalised text. Cue features start with `cue:`.
pub fn extract(normalized: &str, tokens: &[String], original: &str) -> Vec<String> {
    let mut out = Vec::new();
    let found: Vec<(&str, Vec<usize>)> = FAMILIES
        .iter()
        .map(|(name, list)| (*name, positions(tokens, list)))
        .collect();
    let at = |name: &str| {
        found
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.as_slice())
            .unwrap_or(&[])
    };
    for (name, pos) in &found {
        if !pos.is_empty() {
            out.push(format!("cue:{name}"));
        }
    }
    for (a, b) in [
        ("ask-verb", "self"),
        ("please", "ask-verb"),
        ("negation", "ask-verb"),
        ("ask-verb", "third-party"),
        ("trade", "ask-verb"),
        ("question", "ask-verb"),
        ("past-giving", "ask-verb"),
        ("please", "self"),
        ("ask-verb", "addresses-reader"),
        ("asks-help", "self"),
        ("contest", "self"),
        ("reported-speech", "ask-verb"),
        ("negation", "addresses-reader"),
        ("trade", "self"),
        ("wish", "ask-verb"),
        ("family", "self"),
        ("family", "ask-verb"),
        ("thanks", "advance"),
        ("give", "ask-verb"),
        ("seeks-advice", "ask-verb"),
        ("negation", "coy"),
        ("candidate", "self"),
    ] {
        if near(at(a), at(b)) {
            out.push(format!("cue:{a}+{b}"));
        }
    }
    if is_symmetric_trade(tokens) {
        out.push("cue:x-for-x".into());
    }
    if tokens
        .windows(2)
        .any(|w| contains(lex::EVERY, &w[0]) && contains(lex::ASK_VERB, &w[1]))
    {
        out.push("cue:every-vote-counts".into());
    }
    if has_quoted_ask(original) {
        out.push("cue:quoted-text".into());
    }
    if starts_with_ask(tokens) {
        out.push("cue:imperative".into());
    }
    if normalized.contains('?') {
        out.push("cue:question-mark".into());
    }
    if normalized.contains('!') {
        out.push("cue:exclamation".into());
    }
    if original
        .chars()
        .any(|c| matches!(c, '🙏' | '👍' | '⭐' | '❤' | '🥺' | '😉'))
    {
        out.push("cue:pleading-emoji".into());
    }
    if near_number(tokens, lex::GOAL) {
        out.push("cue:count-to-reach".into());
    }
    if let Some(cue) = plus_one_sense(tokens, original) {
        out.push(cue.into());
    }
    if names_someone(original) {
        out.push("cue:names-someone".into());
    }
    for t in tokens {
        out.push(format!("w:{t}"));
    }
    out
}

/// The same kind of signal on both sides of "for"/"and": `+k for +k`, `follow for follow`,
/// `sígueme y te sigo`.
fn is_symmetric_trade(tokens: &[String]) -> bool {
    let stem = |t: &str| t.chars().take(4).collect::<String>();
    tokens.windows(3).any(|w| {
        contains(lex::TRADE_JOIN, &w[1])
            && contains(lex::ASK_VERB, &w[0])
            && stem(&w[0]) == stem(&w[2])
    }) || tokens.windows(4).any(|w| {
        contains(lex::TRADE_JOIN, &w[1])
            && contains(lex::ASK_VERB, &w[0])
            && stem(&w[0]) == stem(&w[3])
    })
}

fn positions(tokens: &[String], list: &[&str]) -> Vec<usize> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| contains(list, t))
        .map(|(i, _)| i)
        .collect()
}

fn near(a: &[usize], b: &[usize]) -> bool {
    a.iter()
        .any(|i| b.iter().any(|j| i.abs_diff(*j) <= WINDOW && i != j))
}

/// Text in quotation marks: often someone else's ask, quoted to criticise it.
fn has_quoted_ask(original: &str) -> bool {
    let quotes = ['"', '“', '”', '«', '»', '„', '\''];
    original.chars().filter(|c| quotes.contains(c)).count() >= 2
}

fn starts_with_ask(tokens: &[String]) -> bool {
    let first_words: Vec<&String> = tokens
        .iter()
        .filter(|t| !t.starts_with('@'))
        .take(2)
        .collect();
    first_words
        .iter()
        .any(|t| contains(lex::ASK_VERB, t) || contains(lex::PLEASE, t))
}

/// A capitalised word after the first that is not a known word: usually a person's name.
fn names_someone(original: &str) -> bool {
    original.split_whitespace().skip(1).any(|w| {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric());
        let mut chars = w.chars();
        matches!(chars.next(), Some(c) if c.is_uppercase())
            && w.chars().count() > 2
            && chars.all(|c| c.is_lowercase())
            && !contains(lex::ASK_VERB, &w.to_lowercase())
    })
}

/// A number within a few words of a goal word: "6 more", "llegamos a 100", "noch 6 Follower".
fn near_number(tokens: &[String], goal: &[&str]) -> bool {
    let numbers: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.chars().all(|c| c.is_ascii_digit()))
        .map(|(i, _)| i)
        .collect();
    near(&numbers, &positions(tokens, goal))
}

/// `+1` that is not an endorsement: agreement at the start of a reply ("+1, same here"), or a
/// guest ("my +1 at the wedding").
fn plus_one_sense(tokens: &[String], original: &str) -> Option<&'static str> {
    let at = tokens.iter().position(|t| t == "+1")?;
    if at > 0 && contains(lex::SELF, &tokens[at - 1]) {
        return Some("cue:plus-one-guest");
    }
    let opening = original.trim_start();
    let agrees = at == 0
        && opening
            .chars()
            .skip_while(|c| !c.is_ascii_digit() && *c != '１')
            .nth(1)
            .is_some_and(|c| c == ',' || c == ' ' || c == '.');
    agrees.then_some("cue:plus-one-agree")
}
