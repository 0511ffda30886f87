//! A logistic regression over the features, trained once, at first use, on the tuning corpus
//! compiled into the binary (`tests/data/solicitations*.tsv`, never `*heldout*`). Training is deterministic (fixed
//! order, fixed steps), so every build classifies the same way, and needs no download.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::features::extract;
use super::normalize::{normalize, tokens};

/// The labelled sentences the model learns from. The held-out files are never read here.
const TUNING: &str = include_str!("../../../tests/data/solicitations.tsv");
/// More tuning sentences, written later with new platforms and phrasings.
const TUNING_EXTRA: &str = include_str!("../../../tests/data/solicitations-extra.tsv");
/// A third batch: hints, goals to reach, family, candidates, `+1` that is agreement.
const TUNING_EXTRA2: &str = include_str!("../../../tests/data/solicitations-extra2.tsv");
/// A fourth batch, measured unseen first (F1 0.874) and then learnt from: contests for one's
/// school, parish or start-up, reviews and favours that are not endorsements, kudos to others.
const TUNING_EXTRA3: &str = include_str!("../../../tests/data/solicitations-extra3.tsv");

const EPOCHS: usize = 40;
const LEARNING_RATE: f64 = 0.1;
const L2: f64 = 3e-3;
/// A word or word pair must occur this often in the corpus to get a weight of its own.
const MIN_COUNT: usize = 3;

/// Weights by feature name.
pub struct Model {
    index: HashMap<String, usize>,
    weights: Vec<f64>,
    bias: f64,
}

/// The features of a text (normalised, tokenised, extracted).
pub fn features_of(text: &str) -> Vec<String> {
    let normalized = normalize(text);
    let tokens = tokens(&normalized);
    let mut f = extract(&normalized, &tokens, text);
    // Word pairs: "vote for", "for me", "stem op" carry what single words cannot (chosen by
    // cross-validation on the tuning files: F1 0.893 without, 0.900 with).
    f.extend(tokens.windows(2).map(|w| format!("b:{} {}", w[0], w[1])));
    f.sort();
    f.dedup();
    f
}

/// Parses `LABEL<TAB>TEXT` lines; `BEG` is positive. Malformed lines are skipped.
pub fn parse_corpus(text: &str) -> Vec<(bool, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .filter_map(|(label, t)| match label.trim() {
            "BEG" => Some((true, t.to_string())),
            "OTHER" => Some((false, t.to_string())),
            _ => None,
        })
        .collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// The model trained on the built-in tuning corpus.
    pub fn get() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            let mut examples = parse_corpus(TUNING);
            examples.extend(parse_corpus(TUNING_EXTRA));
            examples.extend(parse_corpus(TUNING_EXTRA2));
            examples.extend(parse_corpus(TUNING_EXTRA3));
            Model::train(&examples)
        })
    }

    pub fn train(examples: &[(bool, String)]) -> Model {
        let featured: Vec<(f64, Vec<String>)> = examples
            .iter()
            .map(|(beg, text)| (if *beg { 1.0 } else { 0.0 }, features_of(text)))
            .collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, fs) in &featured {
            for f in fs {
                *counts.entry(f.as_str()).or_default() += 1;
            }
        }
        let mut names: Vec<&str> = counts
            .iter()
            .filter(|(name, n)| name.starts_with("cue:") || **n >= MIN_COUNT)
            .map(|(name, _)| *name)
            .collect();
        names.sort_unstable();
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i))
            .collect();
        let rows: Vec<(f64, Vec<usize>)> = featured
            .iter()
            .map(|(y, fs)| {
                (
                    *y,
                    fs.iter().filter_map(|f| index.get(f).copied()).collect(),
                )
            })
            .collect();
        let mut model = Model {
            weights: vec![0.0; index.len()],
            index,
            bias: 0.0,
        };
        for _ in 0..EPOCHS {
            for (y, fs) in &rows {
                let p = sigmoid(model.bias + fs.iter().map(|i| model.weights[*i]).sum::<f64>());
                let g = p - y;
                for i in fs {
                    let w = &mut model.weights[*i];
                    *w -= LEARNING_RATE * (g + L2 * *w);
                }
                model.bias -= LEARNING_RATE * g;
            }
        }
        model
    }

    /// Probability that `features` come from a solicitation, and each known feature's
    /// contribution to it.
    pub fn score(&self, features: &[String]) -> (f64, Vec<(String, f64)>) {
        let contributions: Vec<(String, f64)> = features
            .iter()
            .filter_map(|f| self.index.get(f).map(|i| (f.clone(), self.weights[*i])))
            .collect();
        let z = self.bias + contributions.iter().map(|(_, w)| w).sum::<f64>();
        (sigmoid(z), contributions)
    }
}
