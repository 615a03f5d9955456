//! The fieldwork dashboard drawn as one self-contained HTML page, in Spanish or English.
//!
//! The page carries its own CSS and inline SVG charts (`crate::charts`) and loads nothing else
//! (no scripts, fonts or CDN), so it works on a phone 360 px wide on a poor connection.

use std::fmt::{self, Write};

use campo_domain::{Lang, escape_html as escape};

use crate::{
    charts::*,
    figures::{Bin, Count, Dashboard, Progress, ScoreHistogram, Totals},
};

/// Every fixed string on the page; [`Phrase::in_lang`] is the translation table.
#[derive(Debug, Clone, Copy)]
enum Phrase {
    Dashboard,
    Summary,
    Responses,
    CasesDone,
    ReviewBacklog,
    Enumerators,
    MedianDuration,
    NoData,
    NoDataYet,
    ResponsesPerDay,
    Last,
    Days,
    ResponsesPerEnumerator,
    ResponsesPerTeam,
    Review,
    Received,
    Approved,
    HasIssues,
    Rejected,
    CaseProgressPerTeam,
    CaseProgressPerEnumerator,
    ScoreDistributions,
    Nulls,
    Team,
    NoTeam,
    Unassigned,
    Generated,
    OtherLanguage,
    Json,
}

impl Phrase {
    fn in_lang(self, lang: Lang) -> &'static str {
        let (es, en) = match self {
            Phrase::Dashboard => ("Panel de trabajo de campo", "Fieldwork dashboard"),
            Phrase::Summary => ("Resumen", "Summary"),
            Phrase::Responses => ("Respuestas", "Responses"),
            Phrase::CasesDone => ("Casos completados", "Cases done"),
            Phrase::ReviewBacklog => ("Por revisar", "Review backlog"),
            Phrase::Enumerators => ("Encuestadores(as)", "Enumerators"),
            Phrase::MedianDuration => ("Duración mediana de la entrevista", "Median interview duration"),
            Phrase::NoData => ("sin datos", "no data"),
            Phrase::NoDataYet => ("Sin datos aún", "No data yet"),
            Phrase::ResponsesPerDay => ("Respuestas por día", "Responses per day"),
            Phrase::Last => ("Últimos", "Last"),
            Phrase::Days => ("días", "days"),
            Phrase::ResponsesPerEnumerator => ("Respuestas por encuestador(a)", "Responses per enumerator"),
            Phrase::ResponsesPerTeam => ("Respuestas por equipo", "Responses per team"),
            Phrase::Review => ("Revisión", "Review"),
            Phrase::Received => ("Recibida", "Received"),
            Phrase::Approved => ("Aprobada", "Approved"),
            Phrase::HasIssues => ("Con observaciones", "Has issues"),
            Phrase::Rejected => ("Rechazada", "Rejected"),
            Phrase::CaseProgressPerTeam => ("Avance de casos por equipo", "Case progress per team"),
            Phrase::CaseProgressPerEnumerator => ("Avance de casos por encuestador(a)", "Case progress per enumerator"),
            Phrase::ScoreDistributions => ("Distribución de puntajes", "Score distributions"),
            Phrase::Nulls => ("nulos", "nulls"),
            Phrase::Team => ("Equipo", "Team"),
            Phrase::NoTeam => ("(sin equipo)", "(no team)"),
            Phrase::Unassigned => ("(sin asignar)", "(unassigned)"),
            Phrase::Generated => ("Generado", "Generated"),
            Phrase::OtherLanguage => ("English", "Español"),
            Phrase::Json => ("Cifras en JSON", "Figures as JSON"),
        };
        match lang {
            Lang::Es => es,
            Lang::En => en,
        }
    }
}

/// What a figure's `label` holds, and so how it reads on the page.
#[derive(Debug, Clone, Copy)]
enum LabelKind {
    Enumerator,
    Team,
    ReviewState,
}

/// The label [`super::figures`] uses for "no team" and "not assigned".
const MISSING_LABEL: &str = "—";

impl LabelKind {
    fn show(self, label: &str, lang: Lang) -> &str {
        let phrase = match (self, label) {
            (LabelKind::Team, MISSING_LABEL) => Phrase::NoTeam,
            (LabelKind::Enumerator, MISSING_LABEL) => Phrase::Unassigned,
            (LabelKind::ReviewState, "received") => Phrase::Received,
            (LabelKind::ReviewState, "approved") => Phrase::Approved,
            (LabelKind::ReviewState, "has_issues") => Phrase::HasIssues,
            (LabelKind::ReviewState, "rejected") => Phrase::Rejected,
            _ => return label,
        };
        phrase.in_lang(lang)
    }
}

// ---------------------------------------------------------------------------------------------
// The page

/// The dashboard as a complete HTML5 page in `lang`, with links to the other language
/// (`?lang=`) and to the same figures as JSON (`?format=json`). Both links are relative query
/// strings, so they replace the page URL's whole query.
pub fn page(d: &Dashboard, lang: Lang) -> String {
    let mut html = String::with_capacity(16 * 1024);
    // Writing into a `String` cannot fail.
    let _ = write_page(&mut html, d, lang);
    html
}

/// Every day-by-day chart shows at most this many days, the latest.
const DAYS_SHOWN: usize = 31;

const STYLE: &str = "\
:root{--ink:#1f2328;--muted:#57606a;--line:#d0d7de;--track:#e4e8ed;--accent:#1c6a87}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#fff;color:var(--ink);\
font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}
main{max-width:42rem;margin:0 auto;padding:1rem .75rem 2rem}
h1{font-size:1.5rem;line-height:1.25;margin:.25rem 0 .5rem}
h2{font-size:1.15rem;line-height:1.3;margin:2rem 0 .75rem;padding-top:1rem;border-top:1px solid var(--line)}
h3{font-size:1rem;line-height:1.3;margin:1.5rem 0 .5rem}
p{margin:.25rem 0}
a{color:var(--accent)}
nav{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;margin-top:.5rem}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.95em;overflow-wrap:anywhere}
.muted,.note{color:var(--muted)}
.note{font-size:.875rem}
.empty{color:var(--muted);font-style:italic}
.totals{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.5rem;margin:0}
.totals div{border:1px solid var(--line);border-radius:.375rem;padding:.5rem .75rem}
.totals .wide{grid-column:1/-1}
.totals dt{font-size:.875rem;color:var(--muted)}
.totals dd{margin:0;font-size:1.35rem;font-weight:600;font-variant-numeric:tabular-nums}
.chart{display:block;width:100%;height:auto;max-width:28rem;overflow:visible}
.chart text{font-size:15px;fill:var(--ink)}
.chart .muted{fill:var(--muted)}
.bar{fill:var(--accent)}
.track{fill:var(--track)}
.grid{stroke:var(--line);stroke-dasharray:3 3}
.axis{stroke:var(--muted)}
footer{margin-top:2rem;padding-top:1rem;border-top:1px solid var(--line);font-size:.875rem;color:var(--muted)}
";

fn write_page(out: &mut String, d: &Dashboard, lang: Lang) -> fmt::Result {
    write!(
        out,
        "<!doctype html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<main>\n",
        lang.code(),
        escape(lang.pick(&d.title)),
        Phrase::Dashboard.in_lang(lang),
    )?;
    write_header(out, d, lang)?;
    write_totals(out, &d.totals, d.median_duration_minutes, lang)?;
    write_per_day(out, &d.per_day, lang)?;
    write_counts(out, Phrase::ResponsesPerEnumerator, &d.per_enumerator, LabelKind::Enumerator, lang)?;
    write_counts(out, Phrase::ResponsesPerTeam, &d.per_team, LabelKind::Team, lang)?;
    write_counts(out, Phrase::Review, &d.review, LabelKind::ReviewState, lang)?;
    write_progress(out, Phrase::CaseProgressPerTeam, &d.cases_per_team, LabelKind::Team, lang)?;
    write_progress(out, Phrase::CaseProgressPerEnumerator, &d.cases_per_enumerator, LabelKind::Enumerator, lang)?;
    write_scores(out, &d.scores, lang)?;
    writeln!(
        out,
        "<footer>{}: <time datetime=\"{}\">{}</time></footer>\n</main>\n</body>\n</html>",
        Phrase::Generated.in_lang(lang),
        escape(&d.generated_at),
        escape(&readable_time(&d.generated_at)),
    )
}

fn write_header(out: &mut String, d: &Dashboard, lang: Lang) -> fmt::Result {
    writeln!(
        out,
        "<header>\n<p class=\"muted\">{} · <code>{}</code></p>\n<h1>{}</h1>",
        Phrase::Dashboard.in_lang(lang),
        escape(&d.study),
        escape(lang.pick(&d.title)),
    )?;
    if let Some(team) = &d.team {
        writeln!(out, "<p>{}: {}</p>", Phrase::Team.in_lang(lang), escape(team))?;
    }
    let other = lang.other().code();
    writeln!(
        out,
        "<nav><a href=\"?lang={other}\" hreflang=\"{other}\" lang=\"{other}\">{}</a> \
         <a href=\"?format=json\" type=\"application/json\">{}</a></nav>\n</header>",
        Phrase::OtherLanguage.in_lang(lang),
        Phrase::Json.in_lang(lang),
    )
}

fn write_totals(out: &mut String, totals: &Totals, median_minutes: Option<f64>, lang: Lang) -> fmt::Result {
    let say = |phrase: Phrase| phrase.in_lang(lang);
    let cards = [
        (Phrase::Responses, totals.responses.to_string()),
        (Phrase::CasesDone, format!("{} / {}", totals.cases_done, totals.cases)),
        (Phrase::ReviewBacklog, totals.review_backlog.to_string()),
        (Phrase::Enumerators, totals.enumerators.to_string()),
    ];
    let median = match median_minutes {
        Some(minutes) if minutes.is_finite() => format!("{} min", decimal(minutes, 1, lang)),
        _ => say(Phrase::NoData).to_string(),
    };
    writeln!(out, "<section>\n<h2>{}</h2>\n<dl class=\"totals\">", say(Phrase::Summary))?;
    for (phrase, value) in cards {
        writeln!(out, "<div><dt>{}</dt><dd>{value}</dd></div>", say(phrase))?;
    }
    writeln!(
        out,
        "<div class=\"wide\"><dt>{}</dt><dd>{median}</dd></div>\n</dl>\n</section>",
        say(Phrase::MedianDuration),
    )
}

fn write_per_day(out: &mut String, per_day: &[Count], lang: Lang) -> fmt::Result {
    let heading = Phrase::ResponsesPerDay.in_lang(lang);
    writeln!(out, "<section>\n<h2>{heading}</h2>")?;
    let shown = &per_day[per_day.len().saturating_sub(DAYS_SHOWN)..];
    if shown.iter().all(|day| day.count <= 0) {
        write_no_data(out, lang)?;
    } else {
        if shown.len() < per_day.len() {
            writeln!(
                out,
                "<p class=\"note\">{} {DAYS_SHOWN} {}</p>",
                Phrase::Last.in_lang(lang),
                Phrase::Days.in_lang(lang),
            )?;
        }
        let layout = ColumnLayout::new(shown.len(), 4.0, 40.0);
        let columns: Vec<Column> = shown
            .iter()
            .map(|day| Column { value: day.count, hover: format!("{}: {}", day.label, day.count) })
            .collect();
        let ticks = match shown {
            [only] => vec![Tick { x: layout.center(0), anchor: Anchor::Middle, text: only.label.clone() }],
            [first, .., last] => vec![
                Tick { x: layout.left(0), anchor: Anchor::Start, text: first.label.clone() },
                Tick { x: layout.right(shown.len() - 1), anchor: Anchor::End, text: last.label.clone() },
            ],
            [] => Vec::new(),
        };
        write_column_chart(out, heading, &layout, &columns, &ticks)?;
    }
    writeln!(out, "</section>")
}

fn write_counts(out: &mut String, title: Phrase, counts: &[Count], kind: LabelKind, lang: Lang) -> fmt::Result {
    let heading = title.in_lang(lang);
    writeln!(out, "<section>\n<h2>{heading}</h2>")?;
    if counts.iter().all(|count| count.count <= 0) {
        write_no_data(out, lang)?;
    } else {
        let most = counts.iter().map(|count| count.count).max().unwrap_or(0);
        let rows: Vec<BarRow> = counts
            .iter()
            .map(|count| {
                let label = kind.show(&count.label, lang);
                BarRow {
                    label,
                    filled: fraction(count.count, most),
                    track: false,
                    value: count.count.to_string(),
                    hover: format!("{label}: {}", count.count),
                }
            })
            .collect();
        write_bar_chart(out, heading, &rows)?;
    }
    writeln!(out, "</section>")
}

fn write_progress(out: &mut String, title: Phrase, progress: &[Progress], kind: LabelKind, lang: Lang) -> fmt::Result {
    let heading = title.in_lang(lang);
    writeln!(out, "<section>\n<h2>{heading}</h2>")?;
    if progress.is_empty() {
        write_no_data(out, lang)?;
    } else {
        let rows: Vec<BarRow> = progress
            .iter()
            .map(|row| {
                let label = kind.show(&row.label, lang);
                let value = format!("{}/{}", row.done, row.total);
                BarRow {
                    label,
                    filled: fraction(row.done, row.total),
                    track: true,
                    hover: format!("{label}: {value}"),
                    value,
                }
            })
            .collect();
        write_bar_chart(out, heading, &rows)?;
    }
    writeln!(out, "</section>")
}

fn write_scores(out: &mut String, scores: &[ScoreHistogram], lang: Lang) -> fmt::Result {
    writeln!(out, "<section>\n<h2>{}</h2>", Phrase::ScoreDistributions.in_lang(lang))?;
    if scores.is_empty() {
        write_no_data(out, lang)?;
    }
    for histogram in scores {
        write_histogram(out, histogram, lang)?;
    }
    writeln!(out, "</section>")
}

fn write_histogram(out: &mut String, histogram: &ScoreHistogram, lang: Lang) -> fmt::Result {
    let label = lang.pick(&histogram.label);
    writeln!(
        out,
        "<h3>{} <span class=\"muted\">· <code>{}</code></span></h3>",
        escape(label),
        escape(&histogram.form)
    )?;
    if histogram.bins.iter().all(|bin| bin.count <= 0) {
        write_no_data(out, lang)?;
    } else {
        let decimals = histogram.bins.first().map_or(2, |bin| edge_decimals(bin.to - bin.from));
        let range = |bin: &Bin| {
            if bin.from == bin.to {
                decimal(bin.from, decimals, lang)
            } else {
                format!("{}–{}", decimal(bin.from, decimals, lang), decimal(bin.to, decimals, lang))
            }
        };
        let layout = ColumnLayout::new(histogram.bins.len(), 1.0, f64::INFINITY);
        let columns: Vec<Column> = histogram
            .bins
            .iter()
            .map(|bin| Column { value: bin.count, hover: format!("{}: {}", range(bin), bin.count) })
            .collect();
        let ticks = histogram_ticks(&histogram.bins, &layout, decimals, lang);
        write_column_chart(out, &format!("{label} · {}", histogram.form), &layout, &columns, &ticks)?;
    }
    writeln!(out, "<p class=\"note\">n = {} · {}: {}</p>", histogram.n, Phrase::Nulls.in_lang(lang), histogram.nulls)
}

/// The edges under a histogram: all of them when they fit side by side, else the outer two.
fn histogram_ticks(bins: &[Bin], layout: &ColumnLayout, decimals: usize, lang: Lang) -> Vec<Tick> {
    let (Some(first), Some(last)) = (bins.first(), bins.last()) else {
        return Vec::new();
    };
    if first.from == last.to {
        return vec![Tick { x: VIEW_WIDTH / 2.0, anchor: Anchor::Middle, text: decimal(first.from, decimals, lang) }];
    }
    let edges: Vec<String> = std::iter::once(first.from)
        .chain(bins.iter().map(|bin| bin.to))
        .map(|edge| decimal(edge, decimals, lang))
        .collect();
    let widest = edges.iter().map(|edge| edge.chars().count()).max().unwrap_or(0) as f64 * CHAR_WIDTH;
    // A start-anchored label and a centred one must both fit in one bin's width.
    let all_fit = 1.5 * widest + 4.0 <= layout.slot;
    let last_edge = edges.len() - 1;
    edges
        .into_iter()
        .enumerate()
        .filter(|&(index, _)| all_fit || index == 0 || index == last_edge)
        .map(|(index, text)| {
            let anchor = match index {
                0 => Anchor::Start,
                index if index == last_edge => Anchor::End,
                _ => Anchor::Middle,
            };
            Tick { x: index as f64 * layout.slot, anchor, text }
        })
        .collect()
}

fn write_no_data(out: &mut String, lang: Lang) -> fmt::Result {
    writeln!(out, "<p class=\"empty\">{}</p>", Phrase::NoDataYet.in_lang(lang))
}

/// `x` with at most `max_decimals` decimals and no trailing zeros, with a decimal comma in Spanish.
fn decimal(x: f64, max_decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "—".to_string();
    }
    let mut text = format!("{x:.max_decimals$}");
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').trim_end_matches('.').len());
    }
    if text == "-0" {
        text = "0".to_string();
    }
    match lang {
        Lang::Es => text.replace('.', ","),
        Lang::En => text,
    }
}

/// Enough decimals to tell apart the edges of bins `width` wide.
fn edge_decimals(width: f64) -> usize {
    if !width.is_finite() || width <= 0.0 {
        return 2;
    }
    ((-width.log10()).ceil() + 1.0).clamp(0.0, 10.0) as usize
}

/// `2024-05-01T12:34:56.789Z` as `2024-05-01 12:34 UTC`; anything else as it is.
fn readable_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(10..11), rfc3339.get(11..16)) {
        (Some(date), Some("T"), Some(time)) if rfc3339.ends_with('Z') => format!("{date} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use campo_domain::Text;

    use super::*;
    use crate::bins;

    #[test]
    fn numbers_drop_needless_decimals_and_use_the_local_separator() {
        assert_eq!(decimal(23.5, 1, Lang::Es), "23,5");
        assert_eq!(decimal(23.5, 1, Lang::En), "23.5");
        assert_eq!(decimal(23.04, 1, Lang::Es), "23");
        assert_eq!(decimal(-0.001, 2, Lang::En), "0");
        assert_eq!(decimal(100.0, 2, Lang::En), "100");
    }

    // ---- the page

    fn count(label: &str, count: i64) -> Count {
        Count { label: label.to_string(), count }
    }

    fn empty() -> Dashboard {
        Dashboard {
            study: "tres-por-uno".to_string(),
            title: Text::new("Tres por uno", "Three for one"),
            generated_at: "2024-05-01T12:34:56.789Z".to_string(),
            team: None,
            totals: Totals { responses: 0, cases: 0, cases_done: 0, review_backlog: 0, enumerators: 0 },
            per_day: Vec::new(),
            per_enumerator: Vec::new(),
            per_team: Vec::new(),
            review: Vec::new(),
            cases_per_team: Vec::new(),
            cases_per_enumerator: Vec::new(),
            median_duration_minutes: None,
            scores: Vec::new(),
        }
    }

    fn full() -> Dashboard {
        Dashboard {
            team: Some("norte".to_string()),
            totals: Totals { responses: 42, cases: 60, cases_done: 30, review_backlog: 5, enumerators: 3 },
            per_day: vec![count("2024-04-29", 10), count("2024-04-30", 0), count("2024-05-01", 32)],
            per_enumerator: vec![count("ana", 20), count("Guadalupe Hernández Martínez", 12), count("bob", 10)],
            per_team: vec![count("norte", 30), count(MISSING_LABEL, 12)],
            review: vec![count("received", 5), count("approved", 30), count("has_issues", 4), count("rejected", 3)],
            cases_per_team: vec![Progress { label: "norte".to_string(), total: 40, done: 25 }],
            cases_per_enumerator: vec![
                Progress { label: "ana".to_string(), total: 20, done: 20 },
                Progress { label: MISSING_LABEL.to_string(), total: 10, done: 0 },
            ],
            median_duration_minutes: Some(23.5),
            scores: vec![ScoreHistogram {
                form: "hogar".to_string(),
                score: "autonomia_economica".to_string(),
                label: Text::new("Autonomía económica", "Economic autonomy"),
                n: 40,
                nulls: 2,
                bins: bins(&(0..40).map(|i| f64::from(i) / 4.0).collect::<Vec<_>>(), 8),
            }],
            ..empty()
        }
    }

    /// Every `<svg` is closed before the next opens, and carries what makes it accessible and fluid.
    fn assert_svgs_well_formed(html: &str) -> usize {
        let mut rest = html;
        let mut svgs = 0;
        while let Some(open) = rest.find("<svg") {
            let after = &rest[open..];
            let close = after.find("</svg>").expect("an <svg> without </svg>");
            let next_open = after[4..].find("<svg").map(|at| at + 4);
            assert!(next_open.is_none_or(|next| next > close), "nested or unclosed <svg>");
            let tag = &after[..after.find('>').unwrap_or(after.len())];
            for attribute in ["role=\"img\"", "aria-label=\"", "viewBox=\"", "width=\"100%\""] {
                assert!(tag.contains(attribute), "{tag} lacks {attribute}");
            }
            svgs += 1;
            rest = &after[close..];
        }
        assert_eq!(svgs, html.matches("</svg>").count());
        svgs
    }

    #[test]
    fn a_page_with_data_draws_every_chart() {
        let html = page(&full(), Lang::Es);
        assert!(html.starts_with("<!doctype html>"));
        assert!(html.contains("<svg"));
        // per day, per enumerator, per team, review, two progress lists, one histogram
        assert_eq!(assert_svgs_well_formed(&html), 7);
        assert!(!html.contains("Sin datos aún"));
    }

    #[test]
    fn the_page_speaks_spanish_by_default() {
        let html = page(&full(), Lang::Es);
        for expected in [
            "<html lang=\"es\">",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
            "<title>Tres por uno · Panel de trabajo de campo</title>",
            "Panel de trabajo de campo",
            "Respuestas por día",
            "Respuestas por encuestador(a)",
            "Respuestas por equipo",
            "Revisión",
            "Recibida",
            "Aprobada",
            "Con observaciones",
            "Rechazada",
            "Avance de casos por equipo",
            "Avance de casos por encuestador(a)",
            "Duración mediana de la entrevista",
            "23,5 min",
            "Distribución de puntajes",
            "Autonomía económica",
            "<code>hogar</code>",
            "Equipo: norte",
            "(sin equipo)",
            "(sin asignar)",
            "30 / 60",
            "Generado",
            "2024-05-01 12:34 UTC",
            "href=\"?lang=en\"",
            "href=\"?format=json\"",
            "n = 40 · nulos: 2",
        ] {
            assert!(html.contains(expected), "missing {expected:?}");
        }
        assert!(!html.contains("Fieldwork dashboard"));
    }

    #[test]
    fn the_page_speaks_english_when_asked() {
        let html = page(&full(), Lang::En);
        for expected in [
            "<html lang=\"en\">",
            "<title>Three for one · Fieldwork dashboard</title>",
            "Responses per day",
            "Responses per enumerator",
            "Responses per team",
            "Review",
            "Received",
            "Approved",
            "Has issues",
            "Rejected",
            "Case progress per team",
            "Case progress per enumerator",
            "Median interview duration",
            "23.5 min",
            "Score distributions",
            "Economic autonomy",
            "Team: norte",
            "(no team)",
            "Generated",
            "href=\"?lang=es\"",
            "href=\"?format=json\"",
            "n = 40 · nulls: 2",
        ] {
            assert!(html.contains(expected), "missing {expected:?}");
        }
        assert!(!html.contains("Panel de trabajo de campo"));
        assert!(!html.contains("Respuestas"));
    }

    #[test]
    fn text_from_the_data_is_escaped() {
        let hostile = "<script>alert(1)</script> & \"x\"";
        let mut dashboard = full();
        dashboard.study = "s<1>".to_string();
        dashboard.title = Text::new("A & B <i>", "A & B <i>");
        dashboard.team = Some("'t'".to_string());
        dashboard.per_enumerator.push(count(hostile, 1));
        dashboard.per_day.push(count(hostile, 1));
        dashboard.cases_per_team.push(Progress { label: hostile.to_string(), total: 1, done: 1 });
        dashboard.scores[0].form = hostile.to_string();
        dashboard.scores[0].label = Text::new(hostile, hostile);
        dashboard.generated_at = hostile.to_string();
        for lang in [Lang::Es, Lang::En] {
            let html = page(&dashboard, lang);
            assert!(!html.contains("<script"), "{html}");
            assert!(!html.contains("<i>") && !html.contains("s<1>"));
            assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
            assert!(html.contains("A &amp; B &lt;i&gt;"));
            assert!(html.contains("&#39;t&#39;"));
            assert!(html.contains("&lt;script&gt;alert(1)…"), "the shortened label is escaped too");
            assert_svgs_well_formed(&html);
        }
    }

    #[test]
    fn an_empty_dashboard_says_there_is_no_data_yet() {
        let html = page(&empty(), Lang::Es);
        assert!(!html.contains("<svg"));
        assert_eq!(html.matches("<p class=\"empty\">Sin datos aún</p>").count(), 7);
        assert!(html.contains("<dd>sin datos</dd>"));
        assert!(!html.contains("Equipo:"));
        let html = page(&empty(), Lang::En);
        assert_eq!(html.matches("<p class=\"empty\">No data yet</p>").count(), 7);
        assert!(html.contains("<dd>no data</dd>"));
    }

    #[test]
    fn all_zero_counts_are_no_data_either() {
        let mut dashboard = empty();
        dashboard.review = ["received", "approved", "has_issues", "rejected"].map(|state| count(state, 0)).to_vec();
        let html = page(&dashboard, Lang::En);
        assert!(!html.contains("<svg"));
        assert_eq!(html.matches("No data yet").count(), 7);
    }

    #[test]
    fn only_the_last_31_days_are_drawn() {
        let mut dashboard = empty();
        dashboard.per_day = (1..=40).map(|day| count(&format!("day-{day:02}"), day)).collect();
        let html = page(&dashboard, Lang::Es);
        assert_eq!(html.matches("<rect class=\"bar\"").count(), DAYS_SHOWN);
        assert!(html.contains("Últimos 31 días"));
        assert!(html.contains(">day-10<") && html.contains(">day-40<"));
        assert!(!html.contains("day-09"));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        let html = page(&full(), Lang::Es);
        for forbidden in ["http://", "https://", "<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(forbidden), "{forbidden} in the page");
        }
    }

    #[test]
    fn histogram_edges_read_as_round_numbers() {
        let html = page(&full(), Lang::Es);
        // 0 to 9.75 in at most 8 bins: width 2, edges 0, 2, … 10.
        assert!(html.contains(">0</text>") && html.contains(">10</text>"), "{html}");
        let single = ScoreHistogram { bins: bins(&[2.5, 2.5], 10), ..full().scores[0].clone() };
        let mut dashboard = empty();
        dashboard.scores = vec![single];
        let html = page(&dashboard, Lang::Es);
        assert!(html.contains("text-anchor=\"middle\">2,5</text>"), "{html}");
    }
}
