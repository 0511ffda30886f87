//! Text normalisation before any cue is looked for: NFKC (so `＋Ｋ` is `+K`), lower case,
//! letters repeated three times or more squeezed to one (`pleeeease` → `please`).

use unicode_normalization::UnicodeNormalization;

/// The normalised text.
pub fn normalize(text: &str) -> String {
    let folded: String = text.nfkc().flat_map(char::to_lowercase).collect();
    squeeze_repeats(&folded)
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

/// Words of the normalised text: letters, digits, `+` (for `+k`, `+1`) and apostrophes inside
/// words; `plus k` becomes `+k`.
pub fn tokens(normalized: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in normalized.chars() {
        if c.is_alphanumeric() || c == '+' || (c == '\'' && !word.is_empty()) {
            word.push(c);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
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
}
