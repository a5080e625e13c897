//! The charts of a run, drawn with plotters from the run's own files ([`RunData`]).
//!
//! One function per chart draws on any plotters backend; [`render_png`] and [`render_svg`]
//! return bytes and text, so nothing here touches the file system. Text uses the DejaVu
//! Sans font compiled into the binary (licence in `DEJAVU-FONT-LICENSE.txt`), never system
//! fonts. Colours are the Okabe-Ito palette, safe for colour-blind readers.

use std::error::Error;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::format::{compact, thousands};
use super::load::RunData;
use super::outline::clip;
use crate::results::metrics::{
    program_weekly as pw, region_summary as rs, region_weekly as rw, summary as sm,
};
use crate::results::{PlacementResult, poverty_line_pc_month};

/// Width and height of every chart, in pixels.
pub const SIZE: (u32, u32) = (1200, 800);
pub(super) const FONT: &str = "sans-serif";

pub(super) type Res = Result<(), Box<dyn Error>>;

/// Okabe-Ito colours for placements, in order (yellow left out: too pale on white).
pub(super) const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
];
pub(super) const BASELINE: RGBColor = RGBColor(90, 90, 90);
pub(super) const GRID: RGBColor = RGBColor(225, 225, 225);

/// The charts a run draws, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    PlacementComparison,
    Graduation,
    WhereItWorks,
    IncomeFan,
    Deficit,
    Prices,
    KubeStatus,
    Map,
    Flock,
}

impl Chart {
    pub const ALL: [Chart; 9] = [
        Chart::PlacementComparison,
        Chart::Graduation,
        Chart::WhereItWorks,
        Chart::IncomeFan,
        Chart::Deficit,
        Chart::Prices,
        Chart::KubeStatus,
        Chart::Map,
        Chart::Flock,
    ];

    /// File stem: `charts/<name>.png` and `.svg`.
    pub fn name(self) -> &'static str {
        match self {
            Chart::PlacementComparison => "placement-comparison",
            Chart::Graduation => "graduation",
            Chart::WhereItWorks => "where-it-works",
            Chart::IncomeFan => "income-fan",
            Chart::Deficit => "deficit",
            Chart::Prices => "prices",
            Chart::KubeStatus => "kube-status",
            Chart::Map => "map",
            Chart::Flock => "flock",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Chart::PlacementComparison => "What each placement caused, and what it cost",
            Chart::Graduation => "Households graduated: with the programme, without it, with cash",
            Chart::WhereItWorks => "Where does it work",
            Chart::IncomeFan => "Member households' income per person",
            Chart::Deficit => "Egg deficit in the target regions",
            Chart::Prices => "Egg price in the target regions",
            Chart::KubeStatus => "KUBE by status",
            Chart::Map => "Where the KUBE go",
            Chart::Flock => "The flock: laying rate and eggs per hen",
        }
    }

    /// One sentence on how to read the chart.
    pub fn how_to_read(self) -> &'static str {
        match self {
            Chart::PlacementComparison => {
                "Each bar is a placement's mean over the replicates; the whisker spans the 5th to 95th percentile. Top left: the share of member households that graduated because of the programme (coloured) beside the share that would have graduated because of cash of the same cost (grey). Lower is better for the cost per graduate caused, higher for the rest."
            }
            Chart::Graduation => {
                "Share of member households that have graduated, week by week, followed three ways under the same luck: with the programme (solid, with its 5th-95th percentile band), without it (dashed) and with cash of the same cost (dotted). The gap between solid and dashed is what the programme caused; households that graduate anyway lift both lines."
            }
            Chart::WhereItWorks => {
                "Each placement's target regions, ranked by the graduates the programme caused per KUBE placed there (mean over replicates); the label is the region's programme cost per graduate caused. Where bars are short, families would have graduated anyway or the KUBE do not pay."
            }
            Chart::IncomeFan => {
                "The band holds the middle 80% of member households (10th to 90th percentile of smoothed income per person), the solid line is the median with the programme and the dotted line the median without it; the dashed line is the poverty line of the placement's households. Households count from their KUBE's start."
            }
            Chart::Deficit => {
                "Weekly egg deficit (demand not met by local production) summed over each placement's target regions: grey without the programme, coloured with it. The gap between the lines is the eggs the KUBE add."
            }
            Chart::Prices => {
                "Consumer egg price averaged over each placement's target regions, weighted by demand: grey without the programme, coloured with it. More local eggs move the price from import towards export parity."
            }
            Chart::KubeStatus => {
                "Mean number of KUBE laying (active), between flocks (resting), failed (cash ran out) and closed (could not afford a restock), week by week."
            }
            Chart::Map => {
                "Provinces at their main city, over the coastlines (Natural Earth): bubble area is the baseline egg deficit, colour the KUBE placed there (grey: none)."
            }
            Chart::Flock => {
                "Left: the breed's standard lay rate by age against this scenario's (production factor applied). Right: eggs per hen housed since placement, with the standard and the scenario's mortality; the dotted line marks the cull age."
            }
        }
    }
}

pub(super) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"));
        plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans Bold font is valid"));
    });
}

/// A figure that draws itself on any plotters backend, under its title.
pub trait Figure {
    fn title(&self) -> String;
    fn draw_body<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res
    where
        DB::ErrorType: 'static;
}

fn draw_figure<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> Res
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let body = root.titled(
        &figure.title(),
        (FONT, 30).into_font().style(FontStyle::Bold),
    )?;
    figure.draw_body(&body)
}

/// Draws a figure as PNG bytes.
pub fn png_of(figure: &impl Figure) -> Result<Vec<u8>, Box<dyn Error>> {
    register_font();
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw_figure(figure, &root)?;
        root.present()?;
    }
    let image = image::RgbImage::from_raw(w, h, rgb).ok_or("chart buffer has the wrong size")?;
    let mut png = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}

/// Draws a figure as SVG text.
pub fn svg_of(figure: &impl Figure) -> Result<String, Box<dyn Error>> {
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw_figure(figure, &root)?;
        root.present()?;
    }
    Ok(svg)
}

/// One of a run's charts with the run it draws.
struct RunChart<'a>(Chart, &'a RunData);

impl Figure for RunChart<'_> {
    fn title(&self) -> String {
        self.0.title().to_string()
    }

    fn draw_body<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Res
    where
        DB::ErrorType: 'static,
    {
        draw(self.0, area, self.1)
    }
}

/// Draws a chart as PNG bytes.
pub fn render_png(chart: Chart, data: &RunData) -> Result<Vec<u8>, Box<dyn Error>> {
    png_of(&RunChart(chart, data))
}

/// Draws a chart as SVG text.
pub fn render_svg(chart: Chart, data: &RunData) -> Result<String, Box<dyn Error>> {
    svg_of(&RunChart(chart, data))
}

fn draw<DB: DrawingBackend>(chart: Chart, body: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let body = body.clone();
    match chart {
        Chart::PlacementComparison => placement_comparison(&body, d),
        Chart::Graduation => graduation(&body, d),
        Chart::WhereItWorks => where_it_works(&body, d),
        Chart::IncomeFan => income_fan(&body, d),
        Chart::Deficit => deficit(&body, d),
        Chart::Prices => prices(&body, d),
        Chart::KubeStatus => kube_status(&body, d),
        Chart::Map => map(&body, d),
        Chart::Flock => flock(&body, d),
    }
}

pub(super) fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Draws the legend of a chart's labelled series in a corner.
pub(super) fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Res
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font((FONT, font_size))
        .draw()?;
    Ok(())
}

/// The label at `y` of a chart with one row per name, the first name at the top (row
/// `len - 1`); empty between rows.
pub(super) fn row_label(names: &[impl AsRef<str>], y: f64) -> String {
    let k = y.round();
    if (y - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < names.len() {
        names[names.len() - 1 - k as usize].as_ref().to_string()
    } else {
        String::new()
    }
}

/// A chart of one row per name over a numeric axis.
pub(super) type Rows<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The mesh of a [`Rows`] chart: vertical grid lines, a label per row, the value axis
/// described by `x_desc` and written by `x_format`.
pub(super) fn row_mesh<'a, DB: DrawingBackend + 'a>(
    chart: &mut Rows<'a, DB>,
    names: &[impl AsRef<str>],
    x_format: &dyn Fn(&f64) -> String,
    x_desc: &str,
    font_size: u32,
) -> Res
where
    DB::ErrorType: 'static,
{
    let label = |y: &f64| row_label(names, *y);
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .y_labels(names.len().max(1) * 2 + 1)
        .y_label_formatter(&label)
        .x_label_formatter(x_format)
        .x_desc(x_desc)
        .label_style((FONT, font_size))
        .axis_desc_style((FONT, font_size + 1))
        .draw()?;
    Ok(())
}

/// Splits an area into a grid of at least `n` panels.
pub(super) fn panels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    n: usize,
) -> Vec<DrawingArea<DB, Shift>> {
    let (rows, cols) = match n {
        0 | 1 => (1, 1),
        2 => (1, 2),
        3 | 4 => (2, 2),
        5 | 6 => (2, 3),
        _ => (3, n.div_ceil(3)),
    };
    area.split_evenly((rows, cols))
}

/// The largest finite value, or `fallback` if none.
pub(super) fn max_finite(values: impl IntoIterator<Item = f64>, fallback: f64) -> f64 {
    let m = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if m.is_finite() && m > 0.0 {
        m
    } else {
        fallback
    }
}

pub(super) fn min_finite(values: impl IntoIterator<Item = f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min)
}

/// Runs of consecutive defined points, so undefined weeks leave gaps instead of zeros.
fn runs(points: impl IntoIterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        if y.is_finite() {
            out.last_mut().expect("never empty").push((x, y));
        } else if !out.last().expect("never empty").is_empty() {
            out.push(Vec::new());
        }
    }
    out.retain(|r| !r.is_empty());
    out
}

/// A band between two series, as polygons over the weeks where both are defined.
fn bands(lower: &[f64], upper: &[f64]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current: Vec<(usize, f64, f64)> = Vec::new();
    let mut flush = |current: &mut Vec<(usize, f64, f64)>| {
        if current.len() > 1 {
            let mut poly: Vec<(f64, f64)> =
                current.iter().map(|&(t, _, hi)| (t as f64, hi)).collect();
            poly.extend(current.iter().rev().map(|&(t, lo, _)| (t as f64, lo)));
            out.push(poly);
        }
        current.clear();
    };
    for (t, (&lo, &hi)) in lower.iter().zip(upper).enumerate() {
        if lo.is_finite() && hi.is_finite() {
            current.push((t, lo, hi));
        } else {
            flush(&mut current);
        }
    }
    flush(&mut current);
    out
}

/// A chart over the weeks of the run, dates on the x axis.
fn weekly_chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    d: &RunData,
    caption: &str,
    y_max: f64,
    y_min: f64,
    y_desc: &str,
    y_format: &dyn Fn(&f64) -> String,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn Error>,
>
where
    DB::ErrorType: 'static,
{
    let weeks = f64::from(d.scenario.world.weeks.max(2) - 1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(84)
        .build_cartesian_2d(0.0..weeks, y_min..y_max)?;
    let calendar = &d.calendar;
    let date = |w: &f64| {
        let t = w.round().clamp(0.0, weeks) as u32;
        calendar.week_start(t).format("%b %Y").to_string()
    };
    chart
        .configure_mesh()
        .light_line_style(GRID)
        .bold_line_style(GRID)
        .x_labels(5)
        .y_labels(6)
        .x_label_formatter(&date)
        .y_label_formatter(y_format)
        .y_desc(y_desc)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .draw()?;
    Ok(chart)
}

/// One panel of the placement comparison: a metric per placement, or two side by side
/// (the programme and cash of the same cost).
struct ComparisonPanel {
    caption: &'static str,
    /// The metrics drawn for each placement: the first in the placement's colour, a second
    /// beside it in grey.
    metrics: &'static [usize],
    /// Multiplies the values (100 for shares drawn as percents, 1e-6 for millions).
    scale: f64,
    unit: &'static str,
}

const COMPARISON: [ComparisonPanel; 4] = [
    ComparisonPanel {
        caption: "Graduated because of it (%): programme; cash of the same cost in grey",
        metrics: &[
            sm::GRADUATION_ATTRIBUTABLE_SHARE,
            sm::GRADUATION_ATTRIBUTABLE_SHARE_CASH,
        ],
        scale: 100.0,
        unit: "%",
    },
    ComparisonPanel {
        caption: "Programme cost per graduate caused (Rp million)",
        metrics: &[sm::COST_PER_ATTRIBUTABLE_GRADUATE_RP],
        scale: 1e-6,
        unit: "",
    },
    ComparisonPanel {
        caption: "Benefit-cost ratio (net payouts and assets / cost, discounted)",
        metrics: &[sm::BENEFIT_COST_RATIO],
        scale: 1.0,
        unit: "",
    },
    ComparisonPanel {
        caption: "KUBE still operating at the end (%)",
        metrics: &[sm::KUBES_OPERATING_END_SHARE],
        scale: 100.0,
        unit: "%",
    },
];

/// Cash of the same cost, beside the programme.
pub(super) const CASH: RGBColor = RGBColor(150, 150, 150);

fn placement_comparison<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let names: Vec<String> = progs.iter().map(|p| p.name.clone()).collect();
    for (panel, spec) in panels(area, COMPARISON.len()).iter().zip(&COMPARISON) {
        let scale = spec.scale;
        let values = progs.iter().flat_map(|p| {
            spec.metrics
                .iter()
                .flat_map(move |&m| [p.summary[m].p95, p.summary[m].mean, p.summary[m].p05])
        });
        let top = max_finite(values.clone(), 0.0) * scale;
        let bottom = min_finite(values).min(0.0) * scale;
        let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
        let y_min = if bottom < 0.0 { bottom * 1.15 } else { 0.0 };
        // Enough decimals that neighbouring ticks differ.
        let span = y_max - y_min;
        let decimals = if span < 0.05 {
            3
        } else if span < 0.5 {
            2
        } else if span < 5.0 {
            1
        } else {
            0
        };
        let n = progs.len().max(1) as f64;
        let mut chart = ChartBuilder::on(panel)
            .caption(spec.caption, (FONT, 17))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5..n - 0.5, y_min..y_max)?;
        let unit = spec.unit;
        let y_format = |y: &f64| format!("{y:.decimals$}{unit}");
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_labels(0)
            .y_label_formatter(&y_format)
            .label_style((FONT, 13))
            .draw()?;
        // Placement names under their bars, placed in pixels so every bar gets its label.
        let base = panel.get_base_pixel();
        for (i, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(i as f64, y_min));
            let style =
                TextStyle::from((FONT, 14).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
            panel.draw(&Text::new(
                name.clone(),
                (x - base.0, y - base.1 + 8),
                style,
            ))?;
        }
        let width = 0.64 / spec.metrics.len() as f64;
        for (i, p) in progs.iter().enumerate() {
            for (j, &metric) in spec.metrics.iter().enumerate() {
                let s = p.summary[metric];
                if s.mean.is_nan() {
                    continue;
                }
                let x = i as f64 - 0.32 + width * (j as f64 + 0.5);
                let c = if j == 0 { color(i) } else { CASH };
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - width / 2.0, 0.0), (x + width / 2.0, s.mean * scale)],
                    c.filled(),
                )))?;
                whisker(&mut chart, x, s.p05 * scale, s.p95 * scale)?;
            }
        }
    }
    Ok(())
}

/// A 5th-95th percentile whisker at `x`.
pub(super) fn whisker<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: f64,
    low: f64,
    high: f64,
) -> Res
where
    DB::ErrorType: 'static,
{
    if !(low.is_finite() && high.is_finite()) || low == high {
        return Ok(());
    }
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(x, low), (x, high)],
        BLACK.stroke_width(2),
    )))?;
    for y in [low, high] {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x - 0.06, y), (x + 0.06, y)],
            BLACK.stroke_width(2),
        )))?;
    }
    Ok(())
}

/// Where does it work: each placement's target regions ranked by the graduates the
/// programme caused per KUBE placed there, each bar labelled with the region's cost per
/// graduate caused.
fn where_it_works<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let regions = &d.scenario.world.regions.regions;
    let per_kube = |p: &PlacementResult, r: usize| {
        let at = |m: usize| p.region_summary[[r, m]].mean;
        at(rs::GRADUATION_ATTRIBUTABLE_SHARE) * at(rs::HOUSEHOLDS) / at(rs::KUBES)
    };
    let top = max_finite(
        progs
            .iter()
            .flat_map(|p| d.targets(p).into_iter().map(move |r| per_kube(p, r))),
        0.1,
    ) * 1.35;
    let bottom = min_finite(
        progs
            .iter()
            .flat_map(|p| d.targets(p).into_iter().map(move |r| per_kube(p, r))),
    )
    .min(0.0)
        * 1.2;
    for (i, (panel, p)) in panels(area, progs.len()).iter().zip(progs).enumerate() {
        let mut rows: Vec<(usize, f64)> = d
            .targets(p)
            .into_iter()
            .map(|r| (r, per_kube(p, r)))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1));
        // At most twelve regions a panel: the best and the worst six.
        if rows.len() > 12 {
            rows.drain(6..rows.len() - 6);
        }
        let n = rows.len().max(1) as f64;
        let mut chart = ChartBuilder::on(panel)
            .caption(&p.name, (FONT, 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(150)
            .build_cartesian_2d(bottom..top, -0.5..n - 0.5)?;
        let names: Vec<String> = rows.iter().map(|&(r, _)| regions[r].name.clone()).collect();
        row_mesh(
            &mut chart,
            &names,
            &|x| format!("{x:.1}"),
            "graduates caused per KUBE",
            13,
        )?;
        let c = color(i);
        for (rank, &(r, value)) in rows.iter().enumerate() {
            if !value.is_finite() {
                continue;
            }
            let y = n - 1.0 - rank as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.32), (value, y + 0.32)],
                c.filled(),
            )))?;
            let cost = p.region_summary[[r, rs::COST_PER_ATTRIBUTABLE_GRADUATE_RP]].mean;
            let text = if cost.is_finite() {
                format!("Rp {:.0} M", cost / 1e6)
            } else {
                "none caused".into()
            };
            chart.draw_series(std::iter::once(Text::new(
                text,
                (value.max(0.0) + top * 0.02, y),
                TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
        }
    }
    Ok(())
}

fn income_fan<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let weeks = d.scenario.world.weeks as usize;
    let y_max = max_finite(
        progs
            .iter()
            .flat_map(|p| (0..weeks).map(move |t| p.program_weekly[[t, pw::INCOME_P90]].mean)),
        1.0,
    ) * 1.1;
    for (i, (panel, p)) in panels(area, progs.len()).iter().zip(progs).enumerate() {
        let mut chart = weekly_chart(
            panel,
            d,
            &p.name,
            y_max,
            0.0,
            "Rp per person per month",
            &|y| compact(*y),
        )?;
        let c = color(i);
        let p10: Vec<f64> = (0..weeks)
            .map(|t| p.program_weekly[[t, pw::INCOME_P10]].mean)
            .collect();
        let p90: Vec<f64> = (0..weeks)
            .map(|t| p.program_weekly[[t, pw::INCOME_P90]].mean)
            .collect();
        for band in bands(&p10, &p90) {
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.25).filled())))?;
        }
        arm_line(
            &mut chart,
            (0..weeks).map(|t| (t as f64, p.program_weekly[[t, pw::INCOME_P50]].mean)),
            c.stroke_width(2),
            None,
            "median, with the programme",
        )?;
        arm_line(
            &mut chart,
            (0..weeks).map(|t| (t as f64, p.program_weekly[[t, pw::INCOME_P50_WITHOUT]].mean)),
            c.stroke_width(2),
            Some((3, 4)),
            "median, without it",
        )?;
        arm_line(
            &mut chart,
            (0..weeks).map(|t| (t as f64, poverty_line_pc_month(&d.scenario.world, p, t))),
            BLACK.stroke_width(2),
            Some((8, 6)),
            "poverty line",
        )?;
        legend(&mut chart, SeriesLabelPosition::LowerRight, 13)?;
    }
    Ok(())
}

/// A weekly line with the given dash pattern (`None`: solid), labelled for the legend.
fn arm_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    points: impl IntoIterator<Item = (f64, f64)>,
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
    label: &str,
) -> Res
where
    DB::ErrorType: 'static,
{
    let mut first = true;
    for run in runs(points) {
        let series = match dash {
            None => chart.draw_series(LineSeries::new(run, style))?,
            Some((on, off)) => chart.draw_series(DashedLineSeries::new(run, on, off, style))?,
        };
        if first {
            // Three strokes: touching for a solid line, apart for a dashed one.
            let gap = if dash.is_some() { 3 } else { 0 };
            series.label(label.to_string()).legend(move |(x, y)| {
                let stroke =
                    |i: i32| PathElement::new(vec![(i * 8, 0), (i * 8 + 8 - gap, 0)], style);
                EmptyElement::at((x, y)) + stroke(0) + stroke(1) + stroke(2)
            });
            first = false;
        }
    }
    Ok(())
}

fn graduation<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let weeks = d.scenario.world.weeks as usize;
    let at = |p: &PlacementResult, t: usize, m: usize| p.program_weekly[[t, m]];
    let arms = [
        pw::GRADUATED_SHARE,
        pw::GRADUATED_SHARE_WITHOUT,
        pw::GRADUATED_SHARE_CASH,
    ];
    let y_max = (max_finite(
        progs
            .iter()
            .flat_map(|p| (0..weeks).flat_map(move |t| arms.map(|m| at(p, t, m).p95 * 100.0))),
        10.0,
    ) * 1.1)
        .min(100.0);
    for (i, (panel, p)) in panels(area, progs.len()).iter().zip(progs).enumerate() {
        let mut chart = weekly_chart(
            panel,
            d,
            &p.name,
            y_max,
            0.0,
            "% of member households",
            &|y| format!("{y:.0}%"),
        )?;
        let c = color(i);
        let lo: Vec<f64> = (0..weeks)
            .map(|t| at(p, t, pw::GRADUATED_SHARE).p05 * 100.0)
            .collect();
        let hi: Vec<f64> = (0..weeks)
            .map(|t| at(p, t, pw::GRADUATED_SHARE).p95 * 100.0)
            .collect();
        for band in bands(&lo, &hi) {
            chart.draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))?;
        }
        let line = |m: usize| (0..weeks).map(move |t| (t as f64, at(p, t, m).mean * 100.0));
        arm_line(
            &mut chart,
            line(pw::GRADUATED_SHARE),
            c.stroke_width(3),
            None,
            "with the programme",
        )?;
        arm_line(
            &mut chart,
            line(pw::GRADUATED_SHARE_WITHOUT),
            BASELINE.stroke_width(2),
            Some((10, 6)),
            "without it",
        )?;
        arm_line(
            &mut chart,
            line(pw::GRADUATED_SHARE_CASH),
            BLACK.stroke_width(2),
            Some((3, 4)),
            "with cash of the same cost",
        )?;
        legend(&mut chart, SeriesLabelPosition::UpperLeft, 13)?;
    }
    Ok(())
}

/// Baseline against placement, one panel per placement, of a weekly series over the
/// placement's target regions. The y axis zooms to the data (the gap is what matters).
fn baseline_against<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &RunData,
    y_desc: &str,
    series: &dyn Fn(&PlacementResult, &[usize], usize) -> f64,
    y_format: &dyn Fn(&f64) -> String,
    corner: SeriesLabelPosition,
) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let weeks = d.scenario.world.weeks as usize;
    for (i, (panel, p)) in panels(area, progs.len()).iter().zip(progs).enumerate() {
        let targets = d.targets(p);
        let base: Vec<f64> = (0..weeks)
            .map(|t| series(d.baseline(), &targets, t))
            .collect();
        let with: Vec<f64> = (0..weeks).map(|t| series(p, &targets, t)).collect();
        let top = max_finite(base.iter().chain(&with).copied(), 1.0);
        let bottom = min_finite(base.iter().chain(&with).copied());
        let pad = ((top - bottom) * 0.1).max(top.abs() * 0.01).max(1e-9);
        let y_min = bottom - pad;
        let caption = format!(
            "{} ({} target region{})",
            p.name,
            targets.len(),
            if targets.len() == 1 { "" } else { "s" }
        );
        let mut chart = weekly_chart(panel, d, &caption, top + pad, y_min, y_desc, y_format)?;
        let c = color(i);
        for (values, style, name) in [
            (&base, BASELINE.stroke_width(2), "baseline"),
            (&with, c.stroke_width(2), p.name.as_str()),
        ] {
            let mut first = true;
            for run in runs(values.iter().enumerate().map(|(t, &v)| (t as f64, v))) {
                let s = chart.draw_series(LineSeries::new(run, style))?;
                if first {
                    s.label(name.to_string())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                    first = false;
                }
            }
        }
        legend(&mut chart, corner.clone(), 13)?;
    }
    Ok(())
}

fn deficit<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let tonnes = |p: &PlacementResult, targets: &[usize], t: usize| {
        targets
            .iter()
            .map(|&r| p.region_weekly[[t, r, rw::DEFICIT_KG]].mean)
            .sum::<f64>()
            / 1000.0
    };
    baseline_against(
        area,
        d,
        "tonnes of eggs per week",
        &tonnes,
        &|y| compact(*y),
        SeriesLabelPosition::LowerRight,
    )
}

fn prices<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let price = |p: &PlacementResult, targets: &[usize], t: usize| {
        let (mut num, mut den) = (0.0, 0.0);
        for &r in targets {
            let demand = p.region_weekly[[t, r, rw::DEMAND_KG]].mean;
            num += demand * p.region_weekly[[t, r, rw::PRICE_RP_PER_KG]].mean;
            den += demand;
        }
        if den > 0.0 { num / den } else { f64::NAN }
    };
    baseline_against(
        area,
        d,
        "Rp per kg",
        &price,
        &|y| thousands(*y),
        SeriesLabelPosition::UpperLeft,
    )
}

fn kube_status<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let weeks = d.scenario.world.weeks as usize;
    let statuses = [
        ("active", RGBColor(0, 158, 115)),
        ("resting", RGBColor(86, 180, 233)),
        ("failed", RGBColor(213, 94, 0)),
        ("closed", RGBColor(150, 150, 150)),
    ];
    for (panel, (i, p)) in panels(area, progs.len())
        .iter()
        .zip(progs.iter().enumerate())
    {
        // KUBE started by week t, from the placement's rollout.
        let placement = d.scenario.placements.get(i);
        let starts = placement.map(|p| p.start_weeks()).unwrap_or_default();
        let started = |t: usize| starts.iter().filter(|&&s| (s as usize) <= t).count() as f64;
        let counts: Vec<[f64; 4]> = (0..weeks)
            .map(|t| {
                let at = |m: usize| p.program_weekly[[t, m]].mean;
                let (active, failed, closed) = (
                    at(pw::ACTIVE_KUBES),
                    at(pw::FAILED_KUBES),
                    at(pw::CLOSED_KUBES),
                );
                let resting = (started(t) - active - failed - closed).max(0.0);
                [active, resting, failed, closed]
            })
            .collect();
        let top = max_finite(counts.iter().map(|c| c.iter().sum::<f64>()), 1.0) * 1.08;
        let mut chart = weekly_chart(panel, d, &p.name, top, 0.0, "KUBE", &|y| thousands(*y))?;
        // Stacked: draw the cumulative totals from the top layer down.
        for layer in (0..4).rev() {
            let (name, c) = statuses[layer];
            let points: Vec<(f64, f64)> = counts
                .iter()
                .enumerate()
                .map(|(t, v)| (t as f64, v[..=layer].iter().sum()))
                .collect();
            chart
                .draw_series(AreaSeries::new(points, 0.0, c.mix(0.8).filled()))?
                .label(name)
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], c.filled()));
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight, 13)?;
    }
    Ok(())
}

fn map<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let progs = d.programmes();
    let regions = &d.scenario.world.regions.regions;
    let base = d.baseline();
    let deficit: Vec<f64> = (0..regions.len())
        .map(|r| base.region_summary[[r, rs::DEFICIT_KG]].mean.max(0.0))
        .collect();
    let max_deficit = max_finite(deficit.iter().copied(), 1.0);
    let lon = (
        min_finite(regions.iter().map(|r| r.lon)) - 3.0,
        max_finite(regions.iter().map(|r| r.lon), 0.0) + 3.0,
    );
    let lat = (
        min_finite(regions.iter().map(|r| r.lat)) - 3.0,
        max_finite(regions.iter().map(|r| r.lat), 0.0)
            .max(min_finite(regions.iter().map(|r| r.lat)))
            + 3.0,
    );
    let coast = super::outline::rings();
    // Two columns: Indonesia is about twice as wide as it is tall.
    let cols = if progs.len() == 1 { 1 } else { 2 };
    let grid = area.split_evenly((progs.len().div_ceil(cols).max(1), cols));
    for (panel, p) in grid.iter().zip(progs) {
        let kubes: Vec<f64> = (0..regions.len())
            .map(|r| p.region_summary[[r, rs::KUBES]].mean)
            .collect();
        let most = max_finite(kubes.iter().copied(), 1.0);
        // One degree of longitude as wide as one of latitude is tall (near the equator
        // they are the same distance): the shorter span grows to fill the panel.
        let (w, h) = panel.dim_in_pixel();
        let (w, h) = (
            f64::from(w.saturating_sub(24 + 44 + 6)).max(1.0),
            f64::from(h.saturating_sub(24 + 30 + 30)).max(1.0),
        );
        let (mut lon, mut lat) = (lon, lat);
        let (span_x, span_y) = (lon.1 - lon.0, lat.1 - lat.0);
        if span_x / span_y < w / h {
            let grow = (span_y * w / h - span_x) / 2.0;
            lon = (lon.0 - grow, lon.1 + grow);
        } else {
            let grow = (span_x * h / w - span_y) / 2.0;
            lat = (lat.0 - grow, lat.1 + grow);
        }
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("{} (darkest: {} KUBE)", p.name, thousands(most)),
                (FONT, 18),
            )
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(44)
            .build_cartesian_2d(lon.0..lon.1, lat.0..lat.1)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|x| format!("{x:.0}°E"))
            .y_label_formatter(&|y| {
                if *y < 0.0 {
                    format!("{:.0}°S", -y)
                } else {
                    format!("{y:.0}°N")
                }
            })
            .label_style((FONT, 12))
            .draw()?;
        for ring in &coast {
            let land = clip(&ring.points, lon, lat);
            if land.len() >= 3 {
                let fill = if ring.indonesia {
                    RGBColor(236, 231, 214)
                } else {
                    RGBColor(244, 244, 244)
                };
                chart.draw_series(std::iter::once(Polygon::new(land.clone(), fill.filled())))?;
                let mut edge = land;
                edge.push(edge[0]);
                chart.draw_series(std::iter::once(PathElement::new(
                    edge,
                    RGBColor(150, 150, 150).stroke_width(1),
                )))?;
            }
        }
        // Largest bubbles first so small ones stay visible on top.
        let mut order: Vec<usize> = (0..regions.len()).collect();
        order.sort_by(|&a, &b| deficit[b].total_cmp(&deficit[a]));
        for r in order {
            let radius = (2.0 + 16.0 * (deficit[r] / max_deficit).sqrt()) as i32;
            let fill = if kubes[r] > 0.0 {
                let f = (kubes[r] / most).clamp(0.0, 1.0);
                let mixc = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f) as u8;
                RGBColor(mixc(198, 8), mixc(219, 48), mixc(239, 107)).mix(0.9)
            } else {
                RGBColor(200, 200, 200).mix(0.6)
            };
            let at = (regions[r].lon, regions[r].lat);
            chart.draw_series(std::iter::once(Circle::new(at, radius, fill.filled())))?;
            chart.draw_series(std::iter::once(Circle::new(
                at,
                radius,
                RGBColor(80, 80, 80).stroke_width(1),
            )))?;
        }
    }
    Ok(())
}

fn flock<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, d: &RunData) -> Res
where
    DB::ErrorType: 'static,
{
    let design = &d.scenario.design;
    let f = &design.flock;
    let breed = &design.breed;
    let first = f.placement_age_weeks.min(breed.first_age_weeks);
    let last = f.cull_age_weeks.max(breed.last_age_weeks()).max(first + 2);
    let ages: Vec<u32> = (first..=last).collect();
    let halves = area.split_evenly((1, 2));

    let standard: Vec<(f64, f64)> = ages
        .iter()
        .map(|&a| (f64::from(a), breed.at(a).hen_day * 100.0))
        .collect();
    let scenario: Vec<(f64, f64)> = ages
        .iter()
        .map(|&a| {
            (
                f64::from(a),
                breed.at(a).hen_day * f.production_factor * 100.0,
            )
        })
        .collect();
    let y_format = |y: &f64| format!("{y:.0}%");
    let panel = AgePanel {
        caption: format!("Lay rate, {}", breed.name),
        y_desc: "hen-day (% of hens laying per day)",
        y_format: &y_format,
        legend: SeriesLabelPosition::LowerRight,
    };
    panel.draw(
        &halves[0],
        (f64::from(first), f64::from(last)),
        [(standard, "breed standard"), (scenario, "this scenario")],
    )?;

    // Eggs per hen housed from placement: sum of survivors x 7 x hen-day.
    let housed = |production: f64, mortality: f64| {
        let mut alive = 1.0;
        let mut eggs = 0.0;
        let mut out = Vec::new();
        for a in f.placement_age_weeks..=last.max(f.placement_age_weeks + 1) {
            out.push((f64::from(a), eggs));
            let c = breed.at(a);
            eggs += alive * 7.0 * c.hen_day * production;
            alive *= 1.0 - (c.weekly_mortality * mortality).min(1.0);
        }
        out
    };
    let standard = housed(1.0, 1.0);
    let scenario = housed(f.production_factor, f.mortality_factor);
    let top = max_finite(standard.iter().chain(&scenario).map(|p| p.1), 1.0) * 1.1;
    let x0 = f64::from(f.placement_age_weeks);
    let x1 = standard
        .last()
        .map_or(f64::from(last), |p| p.0)
        .max(x0 + 1.0);
    let y_format = |y: &f64| thousands(*y);
    let panel = AgePanel {
        caption: "Eggs per hen housed since placement".into(),
        y_desc: "eggs per hen placed",
        y_format: &y_format,
        legend: SeriesLabelPosition::UpperLeft,
    };
    let mut chart = panel.draw(
        &halves[1],
        (x0, x1),
        [
            (standard, "standard lay and mortality"),
            (scenario, "with production x mortality factors"),
        ],
    )?;
    let cull = f64::from(f.cull_age_weeks);
    chart.draw_series(DashedLineSeries::new(
        vec![(cull, 0.0), (cull, top)],
        4,
        4,
        BLACK.stroke_width(1),
    ))?;
    Ok(())
}

/// One panel of the flock chart: a quantity by age, the breed standard (grey) against
/// this scenario (blue).
struct AgePanel<'a> {
    caption: String,
    y_desc: &'a str,
    y_format: &'a dyn Fn(&f64) -> String,
    legend: SeriesLabelPosition,
}

type AgeChart<'b, DB> = ChartContext<
    'b,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

impl AgePanel<'_> {
    fn draw<'b, DB: DrawingBackend + 'b>(
        &self,
        area: &'b DrawingArea<DB, Shift>,
        (x0, x1): (f64, f64),
        series: [(Vec<(f64, f64)>, &str); 2],
    ) -> Result<AgeChart<'b, DB>, Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let top = max_finite(
            series
                .iter()
                .flat_map(|(points, _)| points.iter().map(|p| p.1)),
            1.0,
        ) * 1.1;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.caption, (FONT, 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..top)?;
        chart
            .configure_mesh()
            .light_line_style(GRID)
            .bold_line_style(GRID)
            .x_desc("age (weeks)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_desc(self.y_desc)
            .y_label_formatter(self.y_format)
            .label_style((FONT, 13))
            .axis_desc_style((FONT, 14))
            .draw()?;
        for ((points, name), c) in series.into_iter().zip([BASELINE, PALETTE[0]]) {
            chart
                .draw_series(LineSeries::new(points, c.stroke_width(3)))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                });
        }
        legend(&mut chart, self.legend.clone(), 14)?;
        Ok(chart)
    }
}
