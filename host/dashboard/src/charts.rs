//! SVG charts drawn by Campo: horizontal bars and columns, self-contained, accessible (a role
//! and a label on every chart) and fluid (they scale to their column).
//!
//! Every chart is 320 user units wide and scales to its column. At 360 px the column is about
//! 336 px, so 15-unit text shows at about 15.75 px; CSS caps the width so text stays moderate on
//! wide screens.

use std::borrow::Cow;
use std::fmt::{self, Write};

use campo_domain::escape_html as escape;

pub(crate) const VIEW_WIDTH: f64 = 320.0;
/// A generous average glyph width at the charts' 15-unit font, for deciding what fits.
pub(crate) const CHAR_WIDTH: f64 = 8.5;

/// Labels longer than this are cut with an ellipsis (the full label shows on hover).
pub(crate) const LABEL_CHARS: usize = 17;
pub(crate) const ROW_HEIGHT: f64 = 28.0;
pub(crate) const BAR_HEIGHT: f64 = 18.0;
/// Where bars start; the label column is to its left.
pub(crate) const BAR_X: f64 = 136.0;
/// Room kept right of the longest bar for its number.
pub(crate) const VALUE_WIDTH: f64 = 64.0;

/// One row of a horizontal bar chart.
pub(crate) struct BarRow<'a> {
    pub(crate) label: &'a str,
    /// How much of the bar area the bar fills, 0 to 1.
    pub(crate) filled: f64,
    /// Whether to draw the whole bar area behind the bar, as for progress (done of total).
    pub(crate) track: bool,
    pub(crate) value: String,
    pub(crate) hover: String,
}

pub(crate) fn write_bar_chart(out: &mut String, aria_label: &str, rows: &[BarRow]) -> fmt::Result {
    let height = rows.len() as f64 * ROW_HEIGHT;
    let area = VIEW_WIDTH - BAR_X - VALUE_WIDTH;
    open_svg(out, height, aria_label)?;
    for (index, row) in rows.iter().enumerate() {
        let top = index as f64 * ROW_HEIGHT;
        let bar_top = top + (ROW_HEIGHT - BAR_HEIGHT) / 2.0;
        let baseline = top + ROW_HEIGHT / 2.0 + 5.0;
        let length = area * row.filled;
        write!(
            out,
            "<g><title>{}</title><text x=\"0\" y=\"{}\">{}</text>",
            escape(&row.hover),
            Coord(baseline),
            escape(&shorten(row.label)),
        )?;
        if row.track {
            write!(
                out,
                "<rect class=\"track\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                Coord(BAR_X),
                Coord(bar_top),
                Coord(area),
                Coord(BAR_HEIGHT),
            )?;
        }
        let value_x = BAR_X + if row.track { area } else { length } + 6.0;
        writeln!(
            out,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text></g>",
            Coord(BAR_X),
            Coord(bar_top),
            Coord(length),
            Coord(BAR_HEIGHT),
            Coord(value_x),
            Coord(baseline),
            escape(&row.value),
        )?;
    }
    writeln!(out, "</svg>")
}

/// Room above the columns for the scale's maximum.
pub(crate) const COLUMN_TOP: f64 = 22.0;
pub(crate) const COLUMN_HEIGHT: f64 = 120.0;
/// Room below the columns for the axis labels.
pub(crate) const AXIS_HEIGHT: f64 = 24.0;

/// One column of a column chart.
pub(crate) struct Column {
    pub(crate) value: i64,
    pub(crate) hover: String,
}

/// Where columns stand: `slot` of the width each, a column of `width` centred in its slot.
pub(crate) struct ColumnLayout {
    pub(crate) slot: f64,
    pub(crate) width: f64,
}

impl ColumnLayout {
    pub(crate) fn new(columns: usize, gap: f64, max_width: f64) -> Self {
        let slot = VIEW_WIDTH / columns.max(1) as f64;
        ColumnLayout { slot, width: (slot - gap).clamp(1.0, max_width) }
    }
    pub(crate) fn left(&self, index: usize) -> f64 {
        index as f64 * self.slot + (self.slot - self.width) / 2.0
    }
    pub(crate) fn right(&self, index: usize) -> f64 {
        self.left(index) + self.width
    }
    pub(crate) fn center(&self, index: usize) -> f64 {
        (index as f64 + 0.5) * self.slot
    }
}

/// A label under a column chart.
pub(crate) struct Tick {
    pub(crate) x: f64,
    pub(crate) anchor: Anchor,
    pub(crate) text: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    pub(crate) fn as_svg(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

pub(crate) fn write_column_chart(
    out: &mut String,
    aria_label: &str,
    layout: &ColumnLayout,
    columns: &[Column],
    ticks: &[Tick],
) -> fmt::Result {
    let most = columns.iter().map(|column| column.value).max().unwrap_or(0).max(0);
    let baseline = COLUMN_TOP + COLUMN_HEIGHT;
    open_svg(out, baseline + AXIS_HEIGHT, aria_label)?;
    writeln!(
        out,
        "<text class=\"muted\" x=\"0\" y=\"15\">{most}</text>\
         <line class=\"grid\" x1=\"0\" y1=\"{top}\" x2=\"{VIEW_WIDTH}\" y2=\"{top}\"/>",
        top = Coord(COLUMN_TOP),
    )?;
    for (index, column) in columns.iter().enumerate() {
        let height = COLUMN_HEIGHT * fraction(column.value, most);
        writeln!(
            out,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
            Coord(layout.left(index)),
            Coord(baseline - height),
            Coord(layout.width),
            Coord(height),
            escape(&column.hover),
        )?;
    }
    writeln!(out, "<line class=\"axis\" x1=\"0\" y1=\"{y}\" x2=\"{VIEW_WIDTH}\" y2=\"{y}\"/>", y = Coord(baseline))?;
    for tick in ticks {
        writeln!(
            out,
            "<text class=\"muted\" x=\"{}\" y=\"{}\" text-anchor=\"{}\">{}</text>",
            Coord(tick.x),
            Coord(baseline + 19.0),
            tick.anchor.as_svg(),
            escape(&tick.text),
        )?;
    }
    writeln!(out, "</svg>")
}

pub(crate) fn open_svg(out: &mut String, height: f64, aria_label: &str) -> fmt::Result {
    writeln!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {VIEW_WIDTH} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\">",
        Coord(height),
        escape(aria_label),
    )
}

/// `label` cut to [`LABEL_CHARS`] characters, the last an ellipsis, when it is longer.
pub(crate) fn shorten(label: &str) -> Cow<'_, str> {
    if label.chars().count() <= LABEL_CHARS {
        return Cow::Borrowed(label);
    }
    let mut short: String = label.chars().take(LABEL_CHARS - 1).collect();
    short.push('…');
    Cow::Owned(short)
}

/// An SVG coordinate to a tenth of a unit, without a needless `.0`.
pub(crate) struct Coord(f64);

impl fmt::Display for Coord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rounded = (self.0 * 10.0).round() / 10.0 + 0.0;
        if rounded.fract() == 0.0 { write!(f, "{rounded:.0}") } else { write!(f, "{rounded:.1}") }
    }
}

/// `part` of `whole`, from 0 to 1 (0 when there is no whole).
pub(crate) fn fraction(part: i64, whole: i64) -> f64 {
    if whole <= 0 { 0.0 } else { (part as f64 / whole as f64).clamp(0.0, 1.0) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn coordinates_keep_a_tenth_at_most() {
        assert_eq!(Coord(12.0).to_string(), "12");
        assert_eq!(Coord(12.345).to_string(), "12.3");
        assert_eq!(Coord(-0.01).to_string(), "0");
    }

    #[test]
    pub(crate) fn long_labels_are_shortened_with_an_ellipsis() {
        assert_eq!(shorten("ana"), "ana");
        assert_eq!(shorten("Con observaciones"), "Con observaciones");
        assert_eq!(shorten("Guadalupe Hernández"), "Guadalupe Hernán…");
        assert_eq!(shorten("Guadalupe Hernández").chars().count(), LABEL_CHARS);
    }
}
