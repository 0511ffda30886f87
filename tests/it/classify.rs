//! The solicitation classifier: floors on real text, disguises and the written corpus, and the
//! API. Every floor sits a little under a figure measured on the commit that set it (see
//! docs/DETECTION.md for the figures and the commands); a floor the classifier does not clear
//! fails the test.

use plusk::domain::solicitation::model::{parse_corpus, parse_examples, Example};
use plusk::domain::solicitation::{classify, Evaluation, THRESHOLD};
use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend};

const REAL_TUNING: &str = include_str!("../data/real/real-tuning.tsv");
const REAL_HELDOUT: &str = include_str!("../data/real/real-heldout.tsv");
const DISGUISE_HELDOUT: &str = include_str!("../data/disguise/disguise-heldout.tsv");

/// Grouped by site, 5 folds, on the real tuning sites: measured F1 0.737 on 633 lines (English
/// 0.783); 0.700 (English 0.781) on the 469 lines before, 0.727 for the code before on the 633.
/// The folds are dealt by site, so adding sites moves them: the figure moves by about 0.02 when a
/// batch of lines comes in.
const REAL_GROUPED_CV_F1_FLOOR: f64 = 0.72;
const REAL_GROUPED_CV_EN_F1_FLOOR: f64 = 0.78;
/// The held-out real sites (never tuned on): measured F1 0.633 on 255 lines (0.565 on the 187
/// lines before; the code before reads 0.585 on the 255). Far below the 0.9 goal.
const REAL_HELDOUT_F1_FLOOR: f64 = 0.61;
/// Disguised asks and slang in the held-out disguise set: measured 198 of 201 caught (0.985).
const DISGUISE_CAUGHT_FLOOR: f64 = 0.97;
/// Harmless look-alikes in the held-out disguise set: measured 1 of 31 flagged (0.032); the
/// ceiling is the goal, 0.05.
const LOOKALIKE_FLAGGED_CEILING: f64 = 0.05;
/// The written held-out files, a secondary check: the goal of 0.9 (measured 0.905 and 0.936;
/// 0.930 and 0.915 before the real-text work).
const SYNTHETIC_HELD_OUT_F1_FLOOR: f64 = 0.9;
/// 5-fold cross-validation on the four written tuning files alone: measured 0.915 (0.900
/// before the real-text work).
const CROSS_VALIDATED_F1_FLOOR: f64 = 0.90;

/// The four written tuning files scored as the classifier meets text (5 folds by line, each by
/// the built-in model, real tuning sentences included, trained without it): measured 0.889
/// (2026-12-07). A change that read 0.835 here (real-text copies of the features) also fell
/// under the written held-out floor, which the cross-validations above did not show.
const WRITTEN_AS_BUILT_IN_F1_FLOOR: f64 = 0.88;

fn evaluation(examples: &[Example], scores: &[f64]) -> Evaluation {
    Evaluation::of_scores(
        examples
            .iter()
            .map(|e| e.begging)
            .zip(scores.iter().copied()),
    )
}

fn scores(examples: &[Example]) -> Vec<f64> {
    let model = plusk::domain::solicitation::model::Model::get();
    examples
        .iter()
        .map(|e| {
            model
                .score(&plusk::domain::solicitation::model::features_of(&e.text))
                .0
        })
        .collect()
}

#[test]
fn real_text_grouped_by_site_stays_above_its_floor() {
    let examples = parse_examples(REAL_TUNING);
    assert!(examples.len() >= 630, "the real tuning set is complete");
    assert!(
        examples.iter().all(|e| !e.source.is_empty()),
        "every line has a source"
    );
    let scores = Evaluation::cross_validated_scores(&examples, 5, |_, e| e.site());
    let all = evaluation(&examples, &scores);
    assert!(
        all.f1() >= REAL_GROUPED_CV_F1_FLOOR,
        "grouped F1 {:.3} ({all:?})",
        all.f1()
    );
    let (en, en_scores): (Vec<Example>, Vec<f64>) = examples
        .iter()
        .zip(&scores)
        .filter(|(e, _)| e.lang == "en")
        .map(|(e, s)| (e.clone(), *s))
        .unzip();
    let en = evaluation(&en, &en_scores);
    assert!(
        en.f1() >= REAL_GROUPED_CV_EN_F1_FLOOR,
        "English grouped F1 {:.3} ({en:?})",
        en.f1()
    );
}

#[test]
fn real_held_out_sites_stay_above_their_floor() {
    let examples = parse_examples(REAL_HELDOUT);
    assert!(examples.len() >= 250, "the real held-out set is complete");
    let tuning_sites: Vec<String> = parse_examples(REAL_TUNING)
        .iter()
        .map(Example::site)
        .collect();
    assert!(
        examples.iter().all(|e| !tuning_sites.contains(&e.site())),
        "no held-out site is among the tuning sites"
    );
    let e = evaluation(&examples, &scores(&examples));
    assert!(
        e.f1() >= REAL_HELDOUT_F1_FLOOR,
        "held-out F1 {:.3} ({e:?})",
        e.f1()
    );
}

#[test]
fn held_out_disguises_are_caught_and_look_alikes_pass() {
    let examples = parse_examples(DISGUISE_HELDOUT);
    let scores = scores(&examples);
    let (mut disguised, mut caught, mut lookalikes, mut flagged) = (0, 0, 0, 0);
    for (e, s) in examples.iter().zip(&scores) {
        if e.begging && e.kind != "plain" {
            disguised += 1;
            caught += usize::from(*s >= THRESHOLD);
        } else if !e.begging {
            lookalikes += 1;
            flagged += usize::from(*s >= THRESHOLD);
        }
    }
    assert!(
        disguised >= 180 && lookalikes >= 30,
        "the disguise set is complete"
    );
    let caught_rate = caught as f64 / disguised as f64;
    let flagged_rate = flagged as f64 / lookalikes as f64;
    assert!(
        caught_rate >= DISGUISE_CAUGHT_FLOOR,
        "caught {caught} of {disguised} disguised asks"
    );
    assert!(
        flagged_rate <= LOOKALIKE_FLAGGED_CEILING,
        "flagged {flagged} of {lookalikes} look-alikes"
    );
}

#[test]
fn written_held_out_f1_stays_above_its_floor() {
    for (name, text) in [
        ("heldout", include_str!("../data/written/asks-heldout.tsv")),
        (
            "heldout2",
            include_str!("../data/written/asks-heldout-2.tsv"),
        ),
    ] {
        let examples = parse_corpus(text);
        assert!(examples.len() >= 150, "the {name} set is complete");
        let e = Evaluation::of(&examples);
        assert!(
            e.f1() >= SYNTHETIC_HELD_OUT_F1_FLOOR,
            "{name} F1 {:.3} ({e:?})",
            e.f1()
        );
    }
}

#[test]
fn cross_validated_f1_stays_above_its_floor() {
    let mut examples = parse_corpus(include_str!(
        "../data/written/asks-and-lookalikes-tuning.tsv"
    ));
    examples.extend(parse_corpus(include_str!(
        "../data/written/platforms-and-phrasings-tuning.tsv"
    )));
    examples.extend(parse_corpus(include_str!(
        "../data/written/hints-goals-and-agreement-tuning.tsv"
    )));
    examples.extend(parse_corpus(include_str!(
        "../data/written/contests-reviews-and-kudos-tuning.tsv"
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
fn written_files_as_the_classifier_meets_them_stay_above_their_floor() {
    let mut examples = Vec::new();
    for text in [
        include_str!("../data/written/asks-and-lookalikes-tuning.tsv"),
        include_str!("../data/written/platforms-and-phrasings-tuning.tsv"),
        include_str!("../data/written/hints-goals-and-agreement-tuning.tsv"),
        include_str!("../data/written/contests-reviews-and-kudos-tuning.tsv"),
    ] {
        examples.extend(parse_examples(text));
    }
    assert!(examples.len() >= 1000);
    let scores = Evaluation::cross_validated_built_in_scores(&examples, 5);
    let e = evaluation(&examples, &scores);
    assert!(
        e.f1() >= WRITTEN_AS_BUILT_IN_F1_FLOOR,
        "F1 {:.3} ({e:?})",
        e.f1()
    );
}

#[test]
fn old_and_new_corpus_lines_parse() {
    let old = parse_examples("BEG\tplease +K me\nOTHER\tthanks!\nnot a line\n");
    assert_eq!(old.len(), 2);
    assert!(old[0].begging && old[0].source.is_empty());
    let new = parse_examples("# comment\nOTHER\tde\trule\thttps://www.example.org/a?b=1\tText\n");
    assert_eq!(new.len(), 1);
    assert_eq!(
        (new[0].lang.as_str(), new[0].kind.as_str(), new[0].site()),
        ("de", "rule", "example.org".to_string())
    );
    // On github.com the account is the author: each owner is a site of its own.
    let gh =
        parse_examples("BEG\tes\tplea\thttps://github.com/Some-One/repo\t¡Dale una estrella!\n");
    assert_eq!(gh[0].site(), "github.com/some-one");
}

#[test]
fn direct_asks_fire_and_refusals_do_not() {
    for text in [
        "please +K me on writing",
        "Pleeeease ＋Ｋ me on writing!! 🙏",
        "vote for my blog please",
        "ᴠᴏᴛᴇ ꜰᴏʀ ᴍʏ ʙʟᴏɢ ᴘʟᴇᴀꜱᴇ",
        "vоtе fоr my blоg plеasе",
        "v0t3 f0r my bl0g pl34s3",
        "v o t e  f o r  m y  b l o g  p l e a s e",
        "pl\u{200B}ease +K me on writing",
        "please +K me on writing (not begging, just asking)",
        "k4k?",
    ] {
        let v = classify(text);
        assert!(v.begging, "{text}: {v:?}");
        assert!(!v.cues.is_empty(), "{text}: a moderator sees why");
    }
    for text in [
        "So no, I will not +K you because you ask.",
        "thanks everyone for the endorsements!",
        "can you help me debug this?",
    ] {
        assert!(!classify(text).begging, "{text}: {:?}", classify(text));
    }
    assert_eq!(
        classify("Stem alsjeblieft op mijn blog, ik heb je stem nodig").language,
        "nl"
    );
    assert_eq!(classify("please vote for my blog").language, "en");
    assert_eq!(classify("votad por mi blog, por favor").language, "es");
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
    // The whole text is read: an ask after 9,000 characters of filler is seen.
    let filler = "The weather was mild and the trains ran on time. ".repeat(180);
    let late = format!("{filler}Please +K me on writing!");
    assert!(late.chars().count() <= 10_000);
    let r = app
        .post("/v1/classify", &app.app_key, &json!({"text": late}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["begging"], true, "{}", r.text);
    app.post("/v1/classify", &app.app_key, &json!({"txt": "x"}))
        .await
        .assert_problem(400, "invalid_json");
    for empty in ["", "   \n\t"] {
        app.post("/v1/classify", &app.app_key, &json!({ "text": empty }))
            .await
            .assert_problem(400, "empty_text");
    }
    app.post(
        "/v1/classify",
        &app.app_key,
        &json!({"text": "x".repeat(10_001)}),
    )
    .await
    .assert_problem(400, "text_too_long");
}
