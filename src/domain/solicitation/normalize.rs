//! Text normalisation before any cue is looked for, so that a disguised ask reads like a plain
//! one:
//! - NFKC (`＋Ｋ` is `+K`, `𝐯𝐨𝐭𝐞` and `ⓥⓞⓣⓔ` are `vote`);
//! - invisible format characters dropped (zero-width spaces and joiners, soft hyphens, BOMs,
//!   bidi controls, variation selectors);
//! - letters that only look Latin read as Latin: small caps (`ᴠᴏᴛᴇ`), enclosed and regional
//!   indicator letters (`🅥🅞🅣🅔`, `🇻🇴🇹🇪`), and the Unicode confusable skeleton (UTS #39, from
//!   `unicode-security`) of any other non-Latin letter (Cyrillic `vоtе`, Greek `ναte`);
//! - lower case, accents folded (`Recomiéndame` → `recomiendame`, `ß` → `ss`);
//! - letters repeated three times or more squeezed to one (`pleeeease` → `please`);
//! - runs of spaced single letters joined (`v o t e  f o r  m e` → `vote for me`).
//!
//! [`tokens`] then reads leet inside words that mix letters with digits or symbols (`v0t3`,
//! `upv@te`) when that gives a known word, and keeps trade slang (`k4k`, `sub4sub`) whole.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::lexicon;

/// The normalised text.
pub fn normalize(text: &str) -> String {
    let mut styled = String::with_capacity(text.len());
    for c in text.nfkc() {
        if is_invisible(c) {
            continue;
        }
        match latin_look_alike(c) {
            Some(s) => styled.push_str(s),
            None => styled.push(c),
        }
    }
    let folded: String = styled
        .chars()
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(fold_letter)
        .collect();
    join_spaced_letters(&squeeze_repeats(&folded))
}

/// Zero-width and other format characters a beggar can slip inside a word.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// Small caps and other letter styles NFKC leaves alone.
const SMALL_CAPS: &[(char, &str)] = &[
    ('ᴀ', "a"),
    ('ʙ', "b"),
    ('ᴄ', "c"),
    ('ᴅ', "d"),
    ('ᴇ', "e"),
    ('ꜰ', "f"),
    ('ɢ', "g"),
    ('ʜ', "h"),
    ('ɪ', "i"),
    ('ᴊ', "j"),
    ('ᴋ', "k"),
    ('ʟ', "l"),
    ('ᴍ', "m"),
    ('ɴ', "n"),
    ('ᴏ', "o"),
    ('ᴘ', "p"),
    ('ǫ', "q"),
    ('ʀ', "r"),
    ('ꜱ', "s"),
    ('ᴛ', "t"),
    ('ᴜ', "u"),
    ('ᴠ', "v"),
    ('ᴡ', "w"),
    ('ʏ', "y"),
    ('ᴢ', "z"),
    ('ɐ', "a"),
    ('ǝ', "e"),
    ('ɹ', "r"),
    ('ʇ', "t"),
    ('ʌ', "v"),
    ('ʍ', "w"),
];

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz";

/// The Latin letter a non-Latin letter is drawn to look like, if any.
fn latin_look_alike(c: char) -> Option<&'static str> {
    let code = u32::from(c);
    if code < 0x250 {
        return None;
    }
    if let Some((_, s)) = SMALL_CAPS.iter().find(|(k, _)| *k == c) {
        return Some(s);
    }
    // Negative circled, negative squared and regional indicator letters: A–Z in order.
    for start in [0x1F150, 0x1F170, 0x1F1E6] {
        if (start..start + 26).contains(&code) {
            let i = usize::try_from(code - start).ok()?;
            return ALPHABET.get(i..=i);
        }
    }
    if !c.is_alphabetic() {
        return None;
    }
    skeleton_letter(c)
}

/// The UTS #39 skeleton of one letter when it is a single ASCII letter (or `rn`, the skeleton
/// of `m`): Cyrillic `о` → `o`, Greek `ν` → `v`.
fn skeleton_letter(c: char) -> Option<&'static str> {
    let mut buf = [0u8; 4];
    let skeleton: String = unicode_security::skeleton(c.encode_utf8(&mut buf))
        .filter(|d| !is_combining_mark(*d))
        .collect();
    let lower = skeleton.to_ascii_lowercase();
    if lower == "rn" {
        return Some("m");
    }
    let mut chars = lower.chars();
    match (chars.next(), chars.next()) {
        (Some(l), None) if l.is_ascii_lowercase() => {
            let i = ALPHABET.find(l)?;
            ALPHABET.get(i..=i)
        }
        _ => None,
    }
}

/// Letters with no decomposition that still carry an accent or ligature.
fn fold_letter(c: char) -> impl Iterator<Item = char> {
    let s: &[char] = match c {
        'ß' => &['s', 's'],
        'æ' => &['a', 'e'],
        'œ' => &['o', 'e'],
        'ø' => &['o'],
        'ł' => &['l'],
        'đ' => &['d'],
        'ı' => &['i'],
        '’' | 'ʼ' | '‘' | '`' | '´' => &['\''],
        _ => &[],
    };
    let single = s.is_empty().then_some(c);
    s.iter().copied().chain(single)
}

fn squeeze_repeats(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|d| **d == c).count();
        let keep = if run >= 3 && c.is_alphabetic() {
            1
        } else {
            run
        };
        out.extend(std::iter::repeat_n(c, keep));
        i += run;
    }
    out
}

/// Joins runs of at least three single letters separated by one space, dot, dash, underscore
/// or asterisk (`v o t e`, `v.o.t.e`). Two or more spaces, or a slash, end a word; a run with
/// no word breaks is cut into known words where it can be (`voteforme` → `vote for me`).
fn join_spaced_letters(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let (end, words) = spaced_run(&chars, i);
        if words.iter().map(String::len).sum::<usize>() >= 3 {
            let words: Vec<String> = if words.len() == 1 {
                segment(&words[0])
            } else {
                words
            };
            out.push_str(&words.join(" "));
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// From `start`, the end of a run of spaced single letters and its words.
fn spaced_run(chars: &[char], start: usize) -> (usize, Vec<String>) {
    let is_letter = |i: usize| {
        chars
            .get(i)
            .is_some_and(|c| c.is_alphanumeric() || *c == '+')
    };
    let before_ok = start == 0 || !is_letter(start - 1);
    if !before_ok || !is_letter(start) {
        return (start, Vec::new());
    }
    let mut words = vec![String::new()];
    let mut i = start;
    loop {
        if !is_letter(i) || is_letter(i + 1) {
            break;
        }
        if let Some(w) = words.last_mut() {
            w.push(chars[i]);
        }
        let gap: Vec<char> = chars[i + 1..]
            .iter()
            .take_while(|c| matches!(c, ' ' | '.' | '-' | '_' | '*' | '/' | '·'))
            .copied()
            .collect();
        let next = i + 1 + gap.len();
        let single_after = is_letter(next) && !is_letter(next + 1);
        if gap.is_empty() || !single_after {
            i += 1;
            break;
        }
        if gap.len() >= 2 || gap.contains(&'/') {
            words.push(String::new());
        }
        i = next;
    }
    let letters: usize = words.iter().map(|w| w.chars().count()).sum();
    if letters < 3 {
        return (start, Vec::new());
    }
    (i, words)
}

/// Cuts a run of letters into known words (the lexicon's, and short function words) with the
/// fewest unknown letters; unknown letters stay glued to their neighbours.
fn segment(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    let n = chars.len();
    // best[i] = (cost, previous cut) for chars[..i]
    let mut best: Vec<(usize, usize)> = vec![(usize::MAX, 0); n + 1];
    best[0] = (0, 0);
    for i in 0..n {
        if best[i].0 == usize::MAX {
            continue;
        }
        for j in i + 1..=n.min(i + 14) {
            let word: String = chars[i..j].iter().collect();
            let cost = if lexicon::is_known_word(&word) {
                1
            } else {
                3 * (j - i)
            };
            let total = best[i].0 + cost;
            if total < best[j].0 {
                best[j] = (total, i);
            }
        }
    }
    let mut cuts = vec![n];
    let mut at = n;
    while at > 0 {
        at = best[at].1;
        cuts.push(at);
    }
    cuts.reverse();
    let mut words: Vec<String> = Vec::new();
    let mut pending = String::new();
    for w in cuts.windows(2) {
        let word: String = chars[w[0]..w[1]].iter().collect();
        if lexicon::is_known_word(&word) {
            if !pending.is_empty() {
                words.push(std::mem::take(&mut pending));
            }
            words.push(word);
        } else {
            pending.push_str(&word);
        }
    }
    if !pending.is_empty() {
        words.push(pending);
    }
    words
}

/// Words of the normalised text: letters, digits, `+` (for `+k`, `+1`) and apostrophes inside
/// words; `plus k` becomes `+k`; leet inside mixed words is read when it gives a known word.
pub fn tokens(normalized: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in normalized.chars() {
        let leet_symbol = matches!(c, '@' | '$' | '€' | '|' | '!') && !word.is_empty();
        if c.is_alphanumeric() || c == '+' || (c == '\'' && !word.is_empty()) || leet_symbol {
            word.push(c);
        } else if !word.is_empty() {
            out.extend(read_word(&std::mem::take(&mut word)));
        }
    }
    if !word.is_empty() {
        out.extend(read_word(&word));
    }
    let mut merged: Vec<String> = Vec::with_capacity(out.len());
    for t in out {
        let t = t.trim_end_matches('\'').to_string();
        match merged.last_mut() {
            Some(prev) if prev == "plus" && (t == "k" || t == "1") => *prev = format!("+{t}"),
            Some(prev) if prev == "+" => *prev = format!("+{t}"),
            _ => merged.push(t),
        }
    }
    merged
}

/// One raw word: trade slang kept as is, leet read, stray symbols dropped.
fn read_word(raw: &str) -> Vec<String> {
    let trimmed = raw.trim_end_matches(['!', '|']);
    if trimmed.is_empty() {
        return Vec::new();
    }
    if is_trade_slang(trimmed) {
        return vec![trimmed.to_string()];
    }
    let has_letter = trimmed.chars().any(char::is_alphabetic);
    let has_leet = trimmed
        .chars()
        .any(|c| c.is_ascii_digit() || matches!(c, '@' | '$' | '€' | '|' | '!'));
    if has_letter && has_leet {
        for guess in [deleet(trimmed, 'i'), deleet(trimmed, 'l')] {
            if lexicon::is_known_word(&guess) {
                return vec![guess];
            }
        }
    }
    trimmed
        .split(['@', '$', '€', '|', '!'])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// `k4k`, `l4l`, `f4f`, `sub4sub`, `like4like`, `vote4vote`, `e4e`, `+k4+k`: the same thing on
/// both sides of a `4`.
pub fn is_trade_slang(word: &str) -> bool {
    word.split_once('4').is_some_and(|(a, b)| {
        !a.is_empty()
            && a.chars().all(|c| c.is_alphabetic() || c == '+')
            && (a == b || (a.len() <= 2 && b.len() <= 2 && b.chars().all(char::is_alphabetic)))
    })
}

fn deleet(word: &str, one: char) -> String {
    word.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '|' | '!' => one,
            '3' | '€' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' => 't',
            '8' => 'b',
            '9' => 'g',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_repeats() {
        assert_eq!(normalize("Pleeeease ＋Ｋ me"), "please +k me");
        assert_eq!(normalize("good  BOOK"), "good  book");
        assert_eq!(
            tokens("please plus k me, +1 it's mine!"),
            vec!["please", "+k", "me", "+1", "it's", "mine"]
        );
    }

    #[test]
    fn reads_disguises() {
        assert_eq!(normalize("ᴠᴏᴛᴇ ꜰᴏʀ ᴍᴇ"), "vote for me");
        assert_eq!(normalize("vоtе fоr mе"), "vote for me"); // Cyrillic о, е
        assert_eq!(normalize("v\u{200B}ote"), "vote");
        assert_eq!(normalize("Recomiéndame"), "recomiendame");
        assert_eq!(normalize("v o t e  f o r  m e"), "vote for me");
        assert_eq!(normalize("p l e a s e"), "please");
        assert_eq!(
            tokens(&normalize("pl34s3 v0t3 f0r m3")),
            vec!["please", "vote", "for", "me"]
        );
        assert_eq!(tokens("k4k? sub4sub"), vec!["k4k", "sub4sub"]);
        assert_eq!(
            tokens("a 4k tv and 10 cats"),
            vec!["a", "4k", "tv", "and", "10", "cats"]
        );
    }
}
