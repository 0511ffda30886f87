//! `plusk eval-classifier FILE.tsv...`: how well the solicitation classifier does on labelled
//! text, as a whole and per language and kind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::domain::solicitation::model::{features_of, parse_examples, Example, Model};
use crate::domain::solicitation::{Evaluation, THRESHOLD};

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Lines of `BEG<TAB>text` / `OTHER<TAB>text`, or
    /// `BEG|OTHER<TAB>lang<TAB>kind<TAB>source-url<TAB>text`. Several files are read as one set.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Also list every text the classifier got wrong, with its score and cues.
    #[arg(long)]
    pub show_errors: bool,
    /// Instead of the built-in model, K-fold cross-validate: each fold is scored by a model
    /// trained on the written tuning files plus the other folds of FILES.
    #[arg(long, value_name = "K")]
    pub cross_validate: Option<usize>,
    /// How cross-validation splits FILES: `line` (every K-th line) or `source` (by the site of
    /// the source URL: no site is ever in both training and test).
    #[arg(long, value_enum, default_value_t = GroupBy::Line, requires = "cross_validate")]
    pub group_by: GroupBy,
    /// With `--cross-validate` on written tuning files (the ones the built-in model learns):
    /// score each fold (every K-th line) by the built-in model, real tuning sentences
    /// included, trained without that fold, as the classifier meets text.
    #[arg(long, requires = "cross_validate")]
    pub as_built_in: bool,
}

/// How lines are kept together in cross-validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupBy {
    Line,
    Source,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let mut examples = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let found = parse_examples(&text);
        anyhow::ensure!(
            !found.is_empty(),
            "{} has no BEG/OTHER lines",
            file.display()
        );
        examples.extend(found);
    }
    let names: Vec<String> = args.files.iter().map(|f| f.display().to_string()).collect();
    let scores = match args.cross_validate {
        Some(k) => {
            let groups = distinct_groups(&examples, args.group_by);
            anyhow::ensure!(
                (2..=groups).contains(&k),
                "K must be between 2 and the number of groups ({groups})"
            );
            println!(
                "{k}-fold cross-validation grouped by {} ({groups} groups)",
                match args.group_by {
                    GroupBy::Line => "line",
                    GroupBy::Source => "source site",
                }
            );
            let by = args.group_by;
            if args.as_built_in {
                Evaluation::cross_validated_built_in_scores(&examples, k)
            } else {
                Evaluation::cross_validated_scores(&examples, k, move |i, e| group_key(by, k, i, e))
            }
        }
        None => {
            let model = Model::get();
            examples
                .iter()
                .map(|e| model.score(&features_of(&e.text)).0)
                .collect()
        }
    };
    report(&names.join(" "), &examples, &scores);
    if args.show_errors {
        show_errors(&examples, &scores);
    }
    Ok(ExitCode::SUCCESS)
}

fn group_key(by: GroupBy, k: usize, i: usize, e: &Example) -> String {
    match by {
        GroupBy::Line => format!("{:08}", i % k),
        GroupBy::Source if e.source.is_empty() => format!("line:{i}"),
        GroupBy::Source => e.site(),
    }
}

fn distinct_groups(examples: &[Example], by: GroupBy) -> usize {
    match by {
        GroupBy::Line => examples.len(),
        GroupBy::Source => {
            let mut sites: Vec<String> = examples
                .iter()
                .enumerate()
                .map(|(i, e)| group_key(by, 1, i, e))
                .collect();
            sites.sort();
            sites.dedup();
            sites.len()
        }
    }
}

fn report(name: &str, examples: &[Example], scores: &[f64]) {
    let all = Evaluation::of_scores(
        examples
            .iter()
            .map(|e| e.begging)
            .zip(scores.iter().copied()),
    );
    let begs = examples.iter().filter(|e| e.begging).count();
    println!(
        "{name}: {} examples ({begs} BEG, {} OTHER)",
        examples.len(),
        examples.len() - begs
    );
    println!(
        "precision {:.3}  recall {:.3}  F1 {:.3}",
        all.precision(),
        all.recall(),
        all.f1()
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "", "predicted BEG", "predicted OTHER"
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "actual BEG", all.true_pos, all.false_neg
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "actual OTHER", all.false_pos, all.true_neg
    );
    for (title, key) in [
        (
            "language",
            (|e: &Example| e.lang.clone()) as fn(&Example) -> String,
        ),
        ("kind", |e: &Example| e.kind.clone()),
    ] {
        let mut by: BTreeMap<String, Evaluation> = BTreeMap::new();
        for (e, s) in examples.iter().zip(scores) {
            let k = key(e);
            if !k.is_empty() {
                let one = Evaluation::of_scores([(e.begging, *s)]);
                let entry = by.entry(k).or_default();
                entry.true_pos += one.true_pos;
                entry.false_pos += one.false_pos;
                entry.true_neg += one.true_neg;
                entry.false_neg += one.false_neg;
            }
        }
        if by.is_empty() {
            continue;
        }
        println!("by {title}:");
        for (k, e) in by {
            let n = e.true_pos + e.false_pos + e.true_neg + e.false_neg;
            println!(
                "  {k:<12} {n:>4} lines  precision {:.3}  recall {:.3}  F1 {:.3}  flagged {}/{}  caught {}/{}",
                e.precision(),
                e.recall(),
                e.f1(),
                e.false_pos,
                e.false_pos + e.true_neg,
                e.true_pos,
                e.true_pos + e.false_neg
            );
        }
    }
}

fn show_errors(examples: &[Example], scores: &[f64]) {
    let model = Model::get();
    for (e, score) in examples.iter().zip(scores) {
        if (*score >= THRESHOLD) != e.begging {
            let (_, mut cues) = model.score(&features_of(&e.text));
            cues.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
            let cues: Vec<String> = cues
                .into_iter()
                .take(6)
                .map(|(f, w)| format!("{f}={w:.1}"))
                .collect();
            println!(
                "{}\t{score:.3}\t{}\t{}\t{}",
                if e.begging { "BEG" } else { "OTHER" },
                e.lang,
                cues.join(","),
                e.text
            );
        }
    }
}
