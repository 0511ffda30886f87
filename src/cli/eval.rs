//! `plusk eval-classifier FILE.tsv`: how well the solicitation classifier does on labelled text.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::domain::solicitation::{classify, model::parse_corpus, Evaluation};

#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// Lines of `BEG<TAB>text` or `OTHER<TAB>text`.
    pub file: PathBuf,
    /// Also list every text the classifier got wrong, with its score and cues.
    #[arg(long)]
    pub show_errors: bool,
    /// Instead of the built-in model, K-fold cross-validate a model trained on FILE itself.
    #[arg(long, value_name = "K")]
    pub cross_validate: Option<usize>,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let examples = parse_corpus(&text);
    anyhow::ensure!(
        !examples.is_empty(),
        "{} has no BEG/OTHER lines",
        args.file.display()
    );
    if let Some(k) = args.cross_validate {
        anyhow::ensure!(
            (2..=examples.len()).contains(&k),
            "K must be between 2 and the number of examples"
        );
        let (e, errors) = Evaluation::cross_validated(&examples, k);
        println!(
            "{k}-fold cross-validation on {}: precision {:.3}  recall {:.3}  F1 {:.3}",
            args.file.display(),
            e.precision(),
            e.recall(),
            e.f1()
        );
        if args.show_errors {
            for (beg, score, text) in errors {
                println!("{}\t{score:.3}\t{text}", if beg { "BEG" } else { "OTHER" });
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let e = Evaluation::of(&examples);
    let begs = examples.iter().filter(|(b, _)| *b).count();
    println!(
        "{}: {} examples ({} BEG, {} OTHER)",
        args.file.display(),
        examples.len(),
        begs,
        examples.len() - begs
    );
    println!(
        "precision {:.3}  recall {:.3}  F1 {:.3}",
        e.precision(),
        e.recall(),
        e.f1()
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "", "predicted BEG", "predicted OTHER"
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "actual BEG", e.true_pos, e.false_neg
    );
    println!(
        "{:>16} {:>14} {:>16}",
        "actual OTHER", e.false_pos, e.true_neg
    );
    if args.show_errors {
        for (beg, text) in &examples {
            let v = classify(text);
            if v.begging != *beg {
                let expected = if *beg { "BEG" } else { "OTHER" };
                println!("{expected}\t{:.3}\t{}\t{}", v.score, v.cues.join(","), text);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
