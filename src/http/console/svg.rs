//! Charts drawn on the server as SVG: a group's graph, a sparkline, a line chart, a score bar.
//! Everything is drawn with attributes (no inline style), so the console's CSP holds, and each
//! chart carries a text alternative.

use maud::{html, Markup, PreEscaped};

/// A number for an SVG attribute: short, and never `NaN`.
fn n(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "0".to_string()
    }
}

/// Who endorsed whom in a group (a ring, a trade, a lockstep group), users on a circle, each
/// endorsement an arrow.
pub fn graph(edges: &[(String, String)], label: &str) -> Markup {
    let mut nodes: Vec<&str> = Vec::new();
    for (a, b) in edges {
        for h in [a.as_str(), b.as_str()] {
            if !nodes.contains(&h) {
                nodes.push(h);
            }
        }
    }
    let (w, h, r) = (240.0, 170.0, 58.0);
    let (cx, cy) = (w / 2.0, h / 2.0);
    let count = nodes.len().max(1) as f64;
    let at = |i: usize| {
        let a = std::f64::consts::TAU * i as f64 / count - std::f64::consts::FRAC_PI_2;
        (cx + r * a.cos(), cy + r * a.sin())
    };
    let pos = |h: &str| at(nodes.iter().position(|x| *x == h).unwrap_or(0));
    html! {
        svg.graph viewBox={"0 0 " (w) " " (h)} width="240" height="170" role="img" aria-label=(label) {
            title { (label) }
            defs {
                marker #arrow viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#33415c" {}
                }
            }
            @for (a, b) in edges {
                @let ((x1, y1), (x2, y2)) = (pos(a), pos(b));
                @let (dx, dy) = (x2 - x1, y2 - y1);
                @let len = (dx * dx + dy * dy).sqrt().max(1.0);
                // Stop short of the node circles so the arrowheads show.
                @let (sx, sy) = (x1 + dx / len * 9.0, y1 + dy / len * 9.0);
                @let (ex, ey) = (x2 - dx / len * 11.0, y2 - dy / len * 11.0);
                line x1=(n(sx)) y1=(n(sy)) x2=(n(ex)) y2=(n(ey)) stroke="#33415c" stroke-width="1.5" marker-end="url(#arrow)" {}
            }
            @for (i, name) in nodes.iter().enumerate() {
                @let (x, y) = at(i);
                circle cx=(n(x)) cy=(n(y)) r="8" fill="#1d4ed8" {}
                @let below = y >= cy;
                text x=(n(x)) y=(n(if below { y + 20.0 } else { y - 12.0 })) text-anchor="middle" font-size="11" fill="#111827" { (name) }
            }
        }
    }
}

/// Counts over time as a small line, the last value marked.
pub fn sparkline(counts: &[u32], label: &str) -> Markup {
    let (w, h) = (180.0, 40.0);
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if counts.len() > 1 {
        w / (counts.len() - 1) as f64
    } else {
        0.0
    };
    let points: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 * step, h - 3.0 - (*c as f64 / max) * (h - 6.0)))
        .collect();
    let path = points
        .iter()
        .map(|(x, y)| format!("{},{}", n(*x), n(*y)))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.spark viewBox={"0 0 " (w) " " (h)} width="180" height="40" role="img" aria-label=(label) {
            title { (label) }
            polyline points=(path) fill="none" stroke="#b45309" stroke-width="1.5" {}
            @if let Some((x, y)) = points.last() {
                circle cx=(n(*x)) cy=(n(*y)) r="2.5" fill="#b45309" {}
            }
        }
    }
}

/// A 0–100 score as a bar.
pub fn bar(score: f64) -> Markup {
    let width = (score.clamp(0.0, 100.0) * 1.2).max(1.0);
    html! {
        svg.bar viewBox="0 0 120 12" width="120" height="12" aria-hidden="true" {
            rect x="0" y="0" width="120" height="12" fill="#e5e7eb" {}
            rect x="0" y="0" width=(n(width)) height="12" fill="#1d4ed8" {}
        }
    }
}

/// Scores (0–100) over time: axes, gridlines at 0/50/100, a line with its points, the first and
/// last dates under it.
pub fn line_chart(points: &[(String, f64)], label: &str) -> Markup {
    let (w, h, left, bottom, top) = (560.0, 200.0, 34.0, 24.0, 10.0);
    let plot_w = w - left - 10.0;
    let plot_h = h - bottom - top;
    let x = |i: usize| {
        if points.len() > 1 {
            left + plot_w * i as f64 / (points.len() - 1) as f64
        } else {
            left + plot_w / 2.0
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let path = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| format!("{},{}", n(x(i)), n(y(*v))))
        .collect::<Vec<_>>()
        .join(" ");
    html! {
        svg.chart viewBox={"0 0 " (w) " " (h)} role="img" aria-label=(label) {
            title { (label) }
            @for g in [0.0, 50.0, 100.0] {
                line x1=(n(left)) x2=(n(w - 10.0)) y1=(n(y(g))) y2=(n(y(g))) stroke="#d1d5db" stroke-width="1" {}
                text x=(n(left - 6.0)) y=(n(y(g) + 4.0)) text-anchor="end" font-size="11" fill="#374151" { (g) }
            }
            polyline points=(path) fill="none" stroke="#1d4ed8" stroke-width="2" {}
            @for (i, (_, v)) in points.iter().enumerate() {
                circle cx=(n(x(i))) cy=(n(y(*v))) r="3" fill="#1d4ed8" {}
            }
            @if let (Some(first), Some(last)) = (points.first(), points.last()) {
                text x=(n(left)) y=(n(h - 6.0)) font-size="11" fill="#374151" { (first.0) }
                @if points.len() > 1 {
                    text x=(n(w - 10.0)) y=(n(h - 6.0)) text-anchor="end" font-size="11" fill="#374151" { (last.0) }
                }
            }
        }
    }
}

/// Text with some words marked: the cues of an ask.
pub fn marked(text: &str, words: &[String]) -> Markup {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let escaped = html! { (word) }.into_string();
        if words.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push_str("<mark>");
            out.push_str(&escaped);
            out.push_str("</mark>");
        } else {
            out.push_str(&escaped);
        }
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '\'' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push_str(&html! { (ch) }.into_string());
        }
    }
    flush(&mut word, &mut out);
    PreEscaped(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_cue_words_and_escapes_the_rest() {
        let words = vec!["please".to_string()];
        let out = marked("<b>Please</b> +K me", &words).into_string();
        assert_eq!(out, "&lt;b&gt;<mark>Please</mark>&lt;/b&gt; +K me");
    }

    #[test]
    fn charts_draw_every_point_and_node() {
        let edges = vec![
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "c".to_string()),
            ("c".to_string(), "a".to_string()),
        ];
        let g = graph(&edges, "ring").into_string();
        assert_eq!(g.matches("<circle").count(), 3);
        assert_eq!(g.matches("<line").count(), 3);
        let s = sparkline(&[0, 1, 5], "burst").into_string();
        assert!(s.contains("<polyline"));
        let c = line_chart(&[("d1".into(), 10.0), ("d2".into(), 80.0)], "history").into_string();
        assert_eq!(c.matches("<circle").count(), 2);
        assert!(!c.contains("NaN") && !s.contains("NaN"));
    }
}
