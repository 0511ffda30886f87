//! The solicitation classifier: floors on the labelled corpus, and the API.

use plusk::domain::solicitation::{classify, model::parse_corpus, Evaluation};
use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend};

/// The target: F1 0.9 on text the classifier was not tuned on (measured 0.930 and 0.915).
const HELD_OUT_F1_FLOOR: f64 = 0.9;
/// Cross-validation on the tuning files measured 0.900; a little room for retraining noise.
const CROSS_VALIDATED_F1_FLOOR: f64 = 0.89;

#[test]
fn held_out_f1_stays_above_its_floor() {
    for (name, text) in [
        ("heldout", include_str!("../data/solicitations-heldout.tsv")),
        (
            "heldout2",
            include_str!("../data/solicitations-heldout2.tsv"),
        ),
    ] {
        let examples = parse_corpus(text);
        assert!(examples.len() >= 150, "the {name} set is complete");
        let e = Evaluation::of(&examples);
        assert!(
            e.f1() >= HELD_OUT_F1_FLOOR,
            "{name} F1 {:.3} ({e:?})",
            e.f1()
        );
    }
}

#[test]
fn cross_validated_f1_stays_above_its_floor() {
    let mut examples = parse_corpus(include_str!("../data/solicitations.tsv"));
    examples.extend(parse_corpus(include_str!(
        "../data/solicitations-extra.tsv"
    )));
    examples.extend(parse_corpus(include_str!(
        "../data/solicitations-extra2.tsv"
    )));
    examples.extend(parse_corpus(include_str!(
        "../data/solicitations-extra3.tsv"
    )));
    assert!(examples.len() >= 1000);
    let (e, _) = Evaluation::cross_validated(&examples, 5);
    assert!(
        e.f1() >= CROSS_VALIDATED_F1_FLOOR,
        "5-fold F1 {:.3} ({e:?})",
        e.f1()
    );
}

#[test]
fn direct_asks_fire_and_refusals_do_not() {
    for text in [
        "please +K me on writing",
        "Pleeeease ＋Ｋ me on writing!! 🙏",
        "vote for my blog please",
    ] {
        let v = classify(text);
        assert!(v.begging, "{text}: {v:?}");
        assert!(!v.cues.is_empty(), "{text}: a moderator sees why");
    }
    for text in [
        "So no, I will not +K you because you ask.",
        "thanks everyone for the endorsements!",
    ] {
        assert!(!classify(text).begging, "{text}: {:?}", classify(text));
    }
    assert_eq!(
        classify("Stem alsjeblieft op mijn blog, ik heb je stem nodig").language,
        "nl"
    );
}

both_backends!(classify_endpoint);

async fn classify_endpoint(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let r = app
        .post(
            "/v1/classify",
            &app.app_key,
            &json!({"text": "please +K me on writing"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["begging"], true);
    let score = r.json["score"].as_f64().unwrap();
    assert!((0.5..=1.0).contains(&score), "{score}");
    assert!(r.json["cues"].as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(r.json["language"], "en");
    app.post("/v1/classify", &app.app_key, &json!({"txt": "x"}))
        .await
        .assert_problem(400, "invalid_json");
    app.post(
        "/v1/classify",
        &app.app_key,
        &json!({"text": "x".repeat(10_001)}),
    )
    .await
    .assert_problem(400, "text_too_long");
}
