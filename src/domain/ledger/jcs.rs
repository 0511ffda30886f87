//! RFC 8785 canonical JSON, written straight from a [`serde_json::Value`].
//!
//! `serde_jcs` serialises through a formatter that buffers every object member and re-parses
//! every key to sort it: about 12 µs for a flag's payload, a sixth of the writer's time on a
//! write path that raises a flag per endorsement. This walks the value once (about 1 µs). Its
//! output is byte for byte `serde_jcs`'s, which every stored hash was made with; the tests
//! compare the two on many generated values.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// The canonical text of `value`.
pub fn to_string(value: &Value) -> String {
    let mut out = String::with_capacity(128);
    write_value(&mut out, value);
    out
}

/// Appends the canonical text of `value` to `out`.
pub fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map),
    }
}

/// Members in the order of their names' UTF-16 code units. The map holds them in UTF-8 byte
/// order, which is the same order unless a name has a character from U+E000 up (UTF-16 puts
/// those above the surrogate pairs of U+10000 and beyond, UTF-8 below): only then re-sort.
fn write_object(out: &mut String, map: &Map<String, Value>) {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    if map.keys().any(|k| k.chars().any(|c| c >= '\u{E000}')) {
        members.sort_by(|a, b| utf16_order(a.0, b.0));
    }
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, name);
        out.push(':');
        write_value(out, value);
    }
    out.push('}');
}

fn utf16_order(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Every number as ECMAScript prints a double (RFC 8785 §3.2.2.3): integers too are converted
/// first, as `serde_jcs` does.
pub fn write_number(out: &mut String, n: &Number) {
    let x = n.as_f64().unwrap_or(f64::NAN);
    if x.is_finite() {
        out.push_str(ryu_js::Buffer::new().format_finite(x));
    } else {
        // A `Number` is never infinite or NaN; this keeps the function total.
        out.push_str("null");
    }
}

/// A string with JSON's short escapes and `\u00xx` (lowercase) for the other control
/// characters; everything else, non-ASCII included, as it is (RFC 8785 §3.2.2.2).
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    /// A small deterministic generator (xorshift), so the comparison covers many shapes
    /// without a property-testing crate.
    pub(in crate::domain::ledger) struct Gen(pub(in crate::domain::ledger) u64);

    impl Gen {
        pub(in crate::domain::ledger) fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        pub(in crate::domain::ledger) fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        pub(in crate::domain::ledger) fn string(&mut self) -> String {
            const PIECES: [&str; 16] = [
                "a",
                "Z",
                "é",
                "\u{e000}",
                "\u{fffd}",
                "😀",
                "\u{10000}",
                "\"",
                "\\",
                "\n",
                "\u{1}",
                "\u{1f}",
                "\u{7f}",
                "/",
                "€",
                " ",
            ];
            (0..self.below(6))
                .map(|_| PIECES[self.below(16) as usize])
                .collect()
        }

        fn number(&mut self) -> Value {
            match self.below(6) {
                0 => json!(self.next() as i64),
                1 => json!(self.next()),
                2 => json!(self.below(2000) as i64 - 1000),
                3 => json!(f64::from_bits(self.next() >> 2)),
                4 => json!((self.below(100_000) as f64) / 1000.0),
                _ => json!([1e21, 1e-7, 0.1, -0.0, 5.0, 123e-20][self.below(6) as usize]),
            }
        }

        fn value(&mut self, depth: u32) -> Value {
            match self.below(if depth > 3 { 4 } else { 6 }) {
                0 => Value::Null,
                1 => Value::Bool(self.below(2) == 1),
                2 => self.number(),
                3 => Value::String(self.string()),
                4 => (0..self.below(4)).map(|_| self.value(depth + 1)).collect(),
                _ => Value::Object(
                    (0..self.below(5))
                        .map(|_| (self.string(), self.value(depth + 1)))
                        .collect(),
                ),
            }
        }
    }

    #[test]
    fn it_writes_what_serde_jcs_writes() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let v = g.value(0);
            assert_eq!(to_string(&v), serde_jcs::to_string(&v).unwrap(), "{v:?}");
        }
    }

    #[test]
    fn names_are_ordered_by_utf16_code_units() {
        // U+E000 sorts after U+10000 in UTF-16 (0xE000 > 0xD800), before it in UTF-8.
        let v = json!({ "\u{e000}": 1, "\u{10000}": 2, "a": 3 });
        assert_eq!(to_string(&v), "{\"a\":3,\"\u{10000}\":2,\"\u{e000}\":1}");
    }
}
