//! From normalised text to named features: the cues a moderator can read, their pairings,
//! and the words themselves (word pairs are added in `model::features_of`). Besides the word
//! lists, the cues read the speech act: whether a sentence opens with an ask to the reader or a
//! request form ("could you … vote"), asks for "your vote", gives ("te doy un +K", "+K to
//! you"), thanks for what was given, states a rule, reports or quotes someone else's ask, asks
//! how something works, or asks for help with no reputation word in sight; and campaign and
//! trade signs (every day, one click, voting is open, `k4k`, `mutual`).

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
    // A disclaimer ("not begging, just asking") is neither a refusal nor talk about begging.
    let masked = pair_positions(tokens, lex::DISCLAIMER);
    let found: Vec<(&str, Vec<usize>)> = FAMILIES
        .iter()
        .map(|(name, list)| {
            let mut pos = positions(tokens, list);
            if matches!(*name, "negation" | "about-begging") {
                pos.retain(|p| !masked.contains(p));
            }
            if *name == "past-giving" {
                pos = (0..tokens.len()).filter(|i| gave(tokens, *i)).collect();
            }
            if *name == "self" {
                // "my vote", "mi voto", "meine Stimme": the writer's own vote, given, not asked.
                pos.retain(|p| {
                    !tokens
                        .get(p + 1)
                        .is_some_and(|n| contains(lex::VOTE_NOUN, n))
                });
            }
            if *name == "third-party" {
                // German "ihr" next to a second person plural verb addresses the readers.
                pos.retain(|p| {
                    tokens[*p] != "ihr"
                        || !(tokens
                            .get(p + 1)
                            .is_some_and(|n| contains(lex::VERB_2PL, n))
                            || (*p > 0 && contains(lex::VERB_2PL, &tokens[p - 1])))
                });
            }
            if *name == "asks-help" && !tokens.iter().any(|t| reputation_word(t)) {
                // Help with no reputation verb or contest in sight: an ordinary request.
                pos.clear();
            }
            (*name, pos)
        })
        .collect();
    if !masked.is_empty() {
        out.push("cue:disclaimer".into());
    }
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
        ("thanks", "past-giving"),
        ("about-begging", "ask-verb"),
        ("reported-speech", "self"),
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
    if ask_only_in_quotes(original) {
        out.push("cue:ask-only-in-quotes".into());
    }
    if has_quoted_ask(original) {
        out.push("cue:quoted-text".into());
        if !at("reported-speech").is_empty() {
            out.push("cue:quote+report".into());
        }
    }
    out.extend(speech_act(normalized, tokens, at("ask-verb").is_empty()));
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

/// What the text does with the reader: asks them to act (an imperative sentence, a request
/// form, "your vote"), gives ("te doy un +K", "you have my vote"), states a rule, or asks how
/// something works; and campaign signs (every day, one click) and trade slang (`k4k`).
fn speech_act(normalized: &str, tokens: &[String], no_ask_verb: bool) -> Vec<String> {
    let mut out: Vec<&str> = Vec::new();
    let ask = |t: &String| contains(lex::ASK_VERB, t) || contains(lex::GIVE, t);
    for sentence in normalized.split(['.', '!', '?', '\n', ';', ':', '(', ')']) {
        let words = tokens_of(sentence);
        let first: Vec<&String> = words
            .iter()
            .filter(|t| !t.starts_with('@'))
            .take(3)
            .collect();
        let opens_with_ask = match first.as_slice() {
            [a, ..] if ask(a) => true,
            [a, b, ..] if contains(lex::LEAD, a) && ask(b) => true,
            [a, b, c, ..] if contains(lex::LEAD, a) && contains(lex::LEAD, b) && ask(c) => true,
            _ => false,
        };
        let gives_to_reader = words.windows(3).take(2).any(|w| {
            matches!(
                w[1].as_str(),
                "to" | "for" | "pour" | "para" | "fur" | "voor"
            ) && contains(lex::TO_YOU, &w[2])
        });
        if opens_with_ask && !gives_to_reader {
            out.push("cue:imperative-sentence");
        }
        if let [a, ..] = first.as_slice() {
            if contains(lex::HOW, a) && sentence_is_question(normalized, sentence) {
                out.push("cue:how-question");
            }
        }
    }
    let near_after = |i: usize, list: &[&str], span: usize| {
        tokens[i + 1..].iter().take(span).any(|t| contains(list, t))
    };
    for (i, t) in tokens.iter().enumerate() {
        let gives_before = tokens[i.saturating_sub(2)..i]
            .iter()
            .any(|p| contains(lex::GIVE_FIRST, p));
        // "danke für eure Stimme", "für deine Unterstützung bedanken": thanks for a vote given.
        let thanked = tokens[i.saturating_sub(3)..i]
            .iter()
            .any(|p| contains(lex::THANKS_NEAR, p))
            || near_after(i, lex::THANKS_NEAR, 3);
        if contains(lex::YOUR, t) && near_after(i, lex::VOTE_NOUN, 2) && !gives_before && !thanked {
            out.push("cue:your-vote");
        }
        // "te doy", "je te donne", "ich gebe dir", "ik geef je", "here's a +K for …"; only a
        // clitic right before the verb is its recipient ("can you give me" asks).
        let recipient_before = i > 0 && contains(lex::CLITIC_TO_YOU, &tokens[i - 1]);
        let gives_signal = near_after(i, lex::VOTE_NOUN, 3) && !near_after(i, lex::SELF, 4);
        let gives_to_self = near_after(i, lex::SELF, 2);
        if contains(lex::GIVE_FIRST, t) && !gives_to_self && (recipient_before || gives_signal) {
            out.push("cue:giving");
        }
        if contains(lex::MY, t) && near_after(i, lex::VOTE_NOUN, 1) {
            out.push("cue:my-vote");
        }
        // "have"/"take"/"here's" give only with a vote noun close by ("have a +K"), never with
        // a bare "you" ("my posts have helped you").
        let weak_give = matches!(t.as_str(), "have" | "take" | "here's");
        if contains(lex::GIVE_FIRST, t)
            && !weak_give
            && !gives_to_self
            && near_after(i, lex::TO_YOU, 2)
        {
            out.push("cue:giving");
        }
        // "+K to you", "een +K voor jou", "un +K pour toi", "a +K your way"
        if contains(lex::VOTE_NOUN, t) {
            let to_reader = tokens.get(i + 1).is_some_and(|n| {
                matches!(
                    n.as_str(),
                    "to" | "for" | "voor" | "pour" | "para" | "fur" | "an"
                )
            }) && near_after(i + 1, lex::TO_YOU, 2);
            let your_way = tokens.get(i + 1).is_some_and(|n| n == "your")
                && tokens.get(i + 2).is_some_and(|n| n == "way");
            if to_reader || your_way {
                out.push("cue:giving");
            }
        }
        if contains(lex::MODAL, t)
            && near_after(i, lex::TO_YOU, 2)
            && tokens[i + 1..]
                .iter()
                .take(5)
                .any(|n| contains(lex::ASK_VERB, n))
        {
            out.push("cue:request-form");
        }
        // "check out my channel", "check my page", "sub my channel", "sub to me": the
        // commenter's plea on video sites, with none of the usual ask verbs.
        if matches!(t.as_str(), "check" | "sub") && near_after(i, lex::SELF, 3) {
            out.push("cue:check-out-mine");
        }
        if t.len() > 4 && clitic_self(t) {
            out.push("cue:ask-verb+self");
        }
        if super::normalize::is_trade_slang(t) {
            out.push("cue:trade-slang");
        }
        if contains(lex::DAILY, t) {
            out.push("cue:every-day");
        }
    }
    if !pair_positions(tokens, lex::DAILY_PAIRS).is_empty() {
        out.push("cue:every-day");
    }
    if !pair_positions(tokens, lex::ONE_CLICK).is_empty() {
        out.push("cue:one-click");
    }
    if tokens
        .iter()
        .any(|t| contains(lex::RULE, t) && !contains(lex::NOT_RULE, t))
    {
        out.push("cue:rule");
    }
    let thanks_for_given = tokens.iter().enumerate().any(|(i, t)| {
        contains(lex::THANKS, t) && (i + 1..tokens.len().min(i + 7)).any(|n| gave(tokens, n))
    });
    if thanks_for_given {
        out.push("cue:thanks-for-given");
    }
    if tokens.iter().any(|t| contains(lex::ELECTION, t)) {
        out.push("cue:election");
    }
    if !pair_positions(tokens, lex::VOTING_OPEN).is_empty() {
        out.push("cue:voting-open");
    }
    // "you can vote for me", "ihr könnt für mich abstimmen", "vous pouvez voter pour moi"
    let can_vote_for_self = tokens.iter().enumerate().any(|(i, t)| {
        (contains(lex::MODAL, t) || contains(lex::CAN, t))
            && tokens[i + 1..]
                .iter()
                .take(6)
                .any(|n| contains(lex::ASK_VERB, n))
            && tokens[i + 1..]
                .iter()
                .take(8)
                .any(|n| contains(lex::SELF, n))
    });
    if can_vote_for_self {
        out.push("cue:can-vote-for-self");
    }
    // "I voted", "I was vote #41", "ich habe abgestimmt": the writer gave.
    let writer_gave = tokens.windows(2).any(|w| {
        matches!(
            w[0].as_str(),
            "i" | "i've" | "ive" | "je" | "ich" | "ik" | "yo"
        ) && contains(lex::GAVE, &w[1])
    });
    if writer_gave {
        out.push("cue:writer-gave");
    }
    // "I would vote again", "ich würde gern abstimmen", "yo voto", "I vote for myself": the
    // writer as the one who votes or shares, which reports or gives rather than asks.
    let writer_acts = tokens.iter().enumerate().any(|(i, t)| {
        matches!(
            t.as_str(),
            "i" | "i'll" | "i'd" | "ich" | "je" | "j'" | "yo" | "ik" | "we" | "wir" | "nous"
        ) && tokens[i + 1..]
            .iter()
            .take(2)
            .any(|n| contains(lex::ASK_VERB, n))
    });
    if writer_acts {
        out.push("cue:writer-acts");
    }
    if tokens
        .iter()
        .any(|t| t == "mutual" || t == "mutuals" || t == "reciproco")
    {
        out.push("cue:mutual");
    }
    if no_ask_verb && tokens.iter().any(|t| contains(lex::HELP, t)) {
        out.push("cue:help-no-reputation-verb");
    }
    out.sort_unstable();
    out.dedup();
    out.into_iter().map(String::from).collect()
}

fn tokens_of(sentence: &str) -> Vec<String> {
    super::normalize::tokens(sentence)
}

fn sentence_is_question(normalized: &str, sentence: &str) -> bool {
    normalized
        .find(sentence)
        .and_then(|at| normalized[at + sentence.len()..].chars().next())
        .is_some_and(|c| c == '?')
}

/// An ask verb with the writer attached as a clitic: `votame`, `votadme`, `recomiendame`,
/// `apoyame`, `ayudadme`.
fn clitic_self(token: &str) -> bool {
    let Some(stem) = token.strip_suffix("me") else {
        return false;
    };
    let stem = stem.strip_suffix('n').unwrap_or(stem);
    contains(lex::ASK_VERB, stem) || contains(lex::HELP, stem)
}

/// Token positions covered by any of the word `pairs`.
fn pair_positions(tokens: &[String], pairs: &[(&str, &str)]) -> Vec<usize> {
    tokens
        .windows(2)
        .enumerate()
        .filter(|(_, w)| pairs.iter().any(|(a, b)| w[0] == *a && w[1] == *b))
        .flat_map(|(i, _)| [i, i + 1])
        .collect()
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

/// Whether the word at `i` says something was given ("voted", "j'ai voté"; not the ask "vote").
fn gave(tokens: &[String], i: usize) -> bool {
    contains(lex::GAVE, &tokens[i])
        || (contains(lex::GAVE_AFTER_AUX, &tokens[i])
            && i > 0
            && contains(lex::FR_AUX, &tokens[i - 1]))
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

/// An ask in quotation marks: often someone else's, quoted to criticise it. A quoted name or
/// title with no ask in it ("our podcast 'Koffie met Code'") does not count.
fn has_quoted_ask(original: &str) -> bool {
    quotation_marks(original) >= 2
        && quoted_spans(original).iter().any(|q| {
            tokens_of(&super::normalize::normalize(q)).iter().any(|t| {
                reputation_word(t)
                    || contains(lex::SELF, t)
                    || contains(lex::PLEASE, t)
                    || contains(lex::QUID, t)
                    || super::normalize::is_trade_slang(t)
            })
        })
}

/// The texts between pairs of quotation marks (apostrophes inside words are not marks).
fn quoted_spans(original: &str) -> Vec<String> {
    let chars: Vec<char> = original.chars().collect();
    let mut spans = Vec::new();
    let mut current: Option<String> = None;
    for (i, c) in chars.iter().enumerate() {
        if is_quotation_mark(&chars, i) {
            match current.take() {
                Some(span) => spans.push(span),
                None => current = Some(String::new()),
            }
        } else if let Some(span) = current.as_mut() {
            span.push(*c);
        }
    }
    spans
}

fn is_quotation_mark(chars: &[char], i: usize) -> bool {
    let quotes = ['"', '“', '”', '«', '»', '„', '\'', '‘', '’'];
    let c = chars[i];
    // An apostrophe inside a word ("don't", "j'ai") is not a quotation mark.
    let inside_word = matches!(c, '\'' | '’')
        && i > 0
        && chars.get(i - 1).is_some_and(|p| p.is_alphanumeric())
        && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
    quotes.contains(&c) && !inside_word
}

fn quotation_marks(original: &str) -> usize {
    let chars: Vec<char> = original.chars().collect();
    (0..chars.len())
        .filter(|i| is_quotation_mark(&chars, *i))
        .count()
}

const QUOTES: [char; 6] = ['"', '“', '”', '«', '»', '„'];

/// Every reputation word of the text stands inside quotation marks: the ask is someone
/// else's, quoted ("he wrote "vote for me" under every post").
fn ask_only_in_quotes(original: &str) -> bool {
    let mut inside = false;
    let (mut quoted, mut outside) = (String::new(), String::new());
    for c in original.chars() {
        if QUOTES.contains(&c) {
            inside = !inside;
            quoted.push(' ');
            outside.push(' ');
        } else if inside {
            quoted.push(c);
        } else {
            outside.push(c);
        }
    }
    let asks = |text: &str| {
        tokens_of(&super::normalize::normalize(text))
            .iter()
            .any(|t| contains(lex::ASK_VERB, t))
    };
    asks(&quoted) && !asks(&outside)
}

fn reputation_word(t: &str) -> bool {
    contains(lex::ASK_VERB, t) || contains(lex::CONTEST, t) || contains(lex::VOTE_NOUN, t)
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
