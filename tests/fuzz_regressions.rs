//! Regression tests for what the fuzz targets in `fuzz/` found (run them with `bench/fuzz.sh`).
//! Each test feeds the minimised crashing input to the same public function the target calls
//! and asserts the behaviour the target expects.

use chrono::DateTime;
use plusk::domain::time;
use plusk::service::import::parse_line;

/// 2030-01-01T00:00:00Z, the import_line target's "now".
fn now() -> chrono::DateTime<chrono::Utc> {
    DateTime::from_timestamp(1_893_456_000, 0).unwrap()
}

/// import_line: year 0000 with a positive offset is year -1 in UTC. It was accepted, and then
/// written into the ledger as `-0001-12-31T12:00:13.000000Z`, which `time::parse` (and so
/// `ledger verify`) cannot read back. Such a line must be refused as an invalid timestamp.
#[test]
fn import_refuses_a_created_at_before_year_0_in_utc() {
    let line =
        r#"{"endorser":"e","endorsee":"0","topic":"e","created_at":"0000-01-01T10:00:13+22:00"}"#;
    let failure = parse_line(1, line, now()).unwrap_err();
    assert_eq!(failure.code, "invalid_timestamp", "{}", failure.message);
}

/// The same bug at `time::parse`, which also reads `observed_at` and the listing filters:
/// whatever it accepts, `time::format` writes in a form it reads back.
#[test]
fn time_parse_accepts_only_what_format_writes_back() {
    for raw in [
        "0000-01-01T10:00:13+22:00",
        "0000-01-01T00:00:00+00:01",
        "9999-12-31T23:59:59-00:01",
    ] {
        assert_eq!(time::parse(raw), None, "{raw:?} accepted");
    }
    for raw in [
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00-01:00",
        "9999-12-31T23:59:59.999999Z",
        "9999-12-31T23:59:59+01:00",
    ] {
        let t = time::parse(raw).unwrap_or_else(|| panic!("{raw:?} refused"));
        assert_eq!(time::parse(&time::format(t)), Some(t), "{raw:?}");
    }
}

/// classify: `begging` was decided on the raw score and `score` reported rounded to three
/// decimals, so a raw score in [0.3995, 0.4) came out as `score: 0.4, begging: false`, a
/// verdict that contradicts itself. (Minimised fuzz input; the invalid UTF-8 byte 0x9d it had
/// is the replacement character after lossy decoding, as the target decodes it.)
#[test]
fn classify_never_reports_a_score_that_contradicts_begging() {
    use plusk::domain::solicitation::{classify, THRESHOLD};
    // The input scored a raw 0.3996 with the model of the day; retraining moves it, so only
    // the invariant is asserted here (the rounding itself has a unit test in the module).
    let v = classify("+1,l chez m[i\u{10}please\u{FFFD}r");
    assert_eq!(v.begging, v.score >= THRESHOLD, "{v:?}");
}
