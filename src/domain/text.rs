//! Free text users write (notes, solicitations, review notes): what plusk stores as given and
//! what it refuses.

use super::error::Rejection;

/// Refuses control characters other than tab and line breaks. NUL cannot be stored in a
/// PostgreSQL `text` column at all (so SQLite and PostgreSQL would disagree), and the others
/// only hide content from the moderators who read these texts.
pub fn check(field: &'static str, text: &str) -> Result<(), Rejection> {
    match text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Some(c) => Err(Rejection::InvalidText {
            field,
            reason: format!("control character {c:?} is not allowed"),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_but_whitespace_are_refused() {
        assert!(check("note", "two\tcolumns\nand lines\r\n").is_ok());
        assert!(check("note", "emoji 🙏 and ünïcödé").is_ok());
        for bad in ["a\0b", "bell\u{7}", "esc\u{1b}[31m", "c1\u{85}"] {
            let e = check("note", bad).unwrap_err();
            assert_eq!(e.code(), "invalid_text", "{bad:?}");
        }
    }
}
