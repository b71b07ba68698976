//! Charts drawn on the server as SVG (no script, no outside font): a
//! horizontal stacked bar per row — finished early, on time, late, and
//! held on time, late, waiting — with the same figures in the table
//! beside it. Colours are told apart by more than hue (a pattern on the
//! late parts) and every part carries its figure in a `<title>`.
use crate::progress::Progress;

/// The parts of a bar: column, message key, fill.
pub const PARTS: &[(&str, &str, &str)] = &[
    ("done_early", "stats.col_done_early", "#1b5e20"),
    ("done_on_time", "stats.col_done_on_time", "#4caf50"),
    ("done_late", "stats.col_done_late", "url(#late)"),
    ("open_on_time", "stats.col_open_on_time", "#1565c0"),
    ("open_late", "stats.col_open_late", "url(#late-open)"),
    ("waiting", "stats.col_waiting", "#9e9e9e"),
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart of `p`'s rows (at most `max`, the largest first), labelled
/// with `t`'s messages; `id` names its title for `aria-labelledby`.
pub fn bars(p: &Progress, max: usize, id: &str, t: &dyn Fn(&str) -> String) -> String {
    let mut rows: Vec<(&str, Vec<i64>)> = p
        .rows
        .iter()
        .map(|r| {
            let l = &r.figures.line;
            (
                r.name.as_str(),
                vec![
                    l.done_early,
                    l.done_on_time,
                    l.done_late,
                    l.open_on_time,
                    l.open_late,
                    l.supplement + l.payment,
                ],
            )
        })
        .collect();
    rows.sort_by_key(|(_, v)| std::cmp::Reverse(v.iter().sum::<i64>()));
    rows.truncate(max);
    let widest = rows
        .iter()
        .map(|(_, v)| v.iter().sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let (label_w, bar_w, row_h) = (260.0, 440.0, 28.0);
    let height = 40.0 + row_h * rows.len() as f64 + 50.0;
    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {height}\" role=\"img\" aria-labelledby=\"{id}\" class=\"chart\">",
        label_w + bar_w + 20.0
    ));
    s.push_str(&format!(
        "<title id=\"{id}\">{}</title>",
        esc(&t("stats.chart_title"))
    ));
    s.push_str("<defs><pattern id=\"late\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#c62828\"/><rect width=\"2\" height=\"6\" fill=\"#ffcdd2\"/></pattern>");
    s.push_str("<pattern id=\"late-open\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\"><rect width=\"6\" height=\"6\" fill=\"#ef6c00\"/><circle cx=\"3\" cy=\"3\" r=\"1.2\" fill=\"#fff3e0\"/></pattern></defs>");
    for (i, (name, v)) in rows.iter().enumerate() {
        let y = 30.0 + row_h * i as f64;
        let mut short: String = name.chars().take(34).collect();
        if name.chars().count() > 34 {
            short.push('…');
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"12\" fill=\"#222\">{}</text>",
            label_w - 8.0,
            y + 15.0,
            esc(&short)
        ));
        let mut x = label_w;
        for (n, (_, key, fill)) in v.iter().zip(PARTS) {
            if *n <= 0 {
                continue;
            }
            let w = bar_w * *n as f64 / widest as f64;
            s.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"20\" fill=\"{fill}\"><title>{}: {}</title></rect>",
                esc(name),
                esc(&format!("{} {n}", t(key)))
            ));
            x += w;
        }
        let total: i64 = v.iter().sum();
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{total}</text>",
            x + 4.0,
            y + 15.0
        ));
    }
    // The legend.
    let ly = 40.0 + row_h * rows.len() as f64;
    for (i, (_, key, fill)) in PARTS.iter().enumerate() {
        let x = 10.0 + (i % 3) as f64 * 230.0;
        let y = ly + (i / 3) as f64 * 20.0;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{fill}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#222\">{}</text>",
            x + 20.0,
            y + 12.0,
            esc(&t(key))
        ));
    }
    s.push_str("</svg>");
    s
}
