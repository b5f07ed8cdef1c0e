//! PNG charts of a run, drawn with plotters' bitmap backend and a small DejaVu Sans subset
//! compiled in (no system font, no fontconfig): `latency.png` (percentile curves of the
//! four latencies, log scale), `throughput.png` (fixes, moves, tickets and offers per
//! second over time) and `server.png` (the engine's CPU and resident memory over time).

use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use hdrhistogram::Histogram;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::sampler::Sample;
use super::track::Histograms;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-subset.ttf");
const SIZE: (u32, u32) = (1000, 620);
/// Percentiles drawn: 0 to 99.99, as "nines" (-log10(1 - q)).
const MAX_NINES: f64 = 4.0;

fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut ok = true;
    ONCE.call_once(|| {
        ok = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok();
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the chart font does not load"))
    }
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing a chart: {e}")
}

/// (nines, ms) points of a histogram's percentile curve.
fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    (0..=80)
        .map(|k| {
            let nines = MAX_NINES * f64::from(k) / 80.0;
            let q = 1.0 - 10f64.powf(-nines);
            (nines, (h.value_at_quantile(q) as f64 / 1000.0).max(0.001))
        })
        .collect()
}

/// Writes the three charts into `dir`; returns the files written.
pub fn draw(dir: &Path, title: &str, h: &Histograms, samples: &[Sample]) -> Result<Vec<String>> {
    register_font()?;
    let mut files = Vec::new();
    let lat = dir.join("latency.png");
    latency(&lat, title, h)?;
    files.push("latency.png".to_owned());
    if samples.len() >= 2 {
        throughput(&dir.join("throughput.png"), title, samples)?;
        server(&dir.join("server.png"), title, samples)?;
        files.push("throughput.png".to_owned());
        files.push("server.png".to_owned());
    }
    Ok(files)
}

fn latency(path: &Path, title: &str, h: &Histograms) -> Result<()> {
    let series = [
        ("intake → offer at the vehicle", &h.offer_vehicle, RED),
        ("intake → offer.sent at a console", &h.offer_console, BLUE),
        ("fix → vehicle.moved at a console", &h.move_console, GREEN),
        ("intake → ack", &h.ack, BLACK),
    ];
    let top = series
        .iter()
        .filter(|s| !s.1.is_empty())
        .map(|s| s.1.value_at_quantile(0.9999) as f64 / 1000.0)
        .fold(1.0f64, f64::max)
        * 1.5;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{title}: latency by percentile"),
            ("sans-serif", 22),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..MAX_NINES, (0.01f64..top).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("percentile")
        .y_desc("ms (log scale)")
        .x_labels(5)
        .x_label_formatter(&|n| match n.round() as i64 {
            0 => "0".into(),
            1 => "90".into(),
            2 => "99".into(),
            3 => "99.9".into(),
            _ => "99.99".into(),
        })
        .label_style(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    for (name, hist, color) in series {
        if hist.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(curve(hist), color.stroke_width(2)))
            .map_err(err)?
            .label(format!("{name} ({} samples)", hist.len()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

type Pick = fn(&Sample) -> Option<f64>;

/// One panel of lines over time.
fn panel(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    samples: &[Sample],
    lines: &[(&str, Pick, RGBColor)],
) -> Result<()> {
    let t_max = samples.last().map_or(1.0, |s| s.t_s).max(1.0);
    let y_max = samples
        .iter()
        .flat_map(|s| lines.iter().filter_map(move |l| (l.1)(s)))
        .fold(1.0f64, f64::max)
        * 1.15;
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..t_max, 0f64..y_max)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the start")
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    for &(name, pick, color) in lines {
        let points: Vec<(f64, f64)> = samples
            .iter()
            .filter_map(|s| pick(s).map(|v| (s.t_s, v)))
            .collect();
        if points.iter().all(|p| p.1 == 0.0) {
            continue;
        }
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    Ok(())
}

fn throughput(path: &Path, title: &str, samples: &[Sample]) -> Result<()> {
    let root = BitMapBackend::new(path, (SIZE.0, SIZE.1 + 200)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let parts = root.split_evenly((2, 1));
    panel(
        &parts[0],
        &format!("{title}: positions per second"),
        "per second",
        samples,
        &[
            ("socket fixes sent", |s| Some(s.fixes_per_s), RED),
            ("gateway fixes sent", |s| Some(s.gateway_fixes_per_s), BLUE),
            (
                "moves read by consoles",
                |s| Some(s.console_moves_per_s),
                GREEN,
            ),
        ],
    )?;
    panel(
        &parts[1],
        "tickets and offers per second",
        "per second",
        samples,
        &[
            ("intakes acknowledged", |s| Some(s.intakes_per_s), BLACK),
            ("offers at vehicles", |s| Some(s.offers_per_s), RED),
        ],
    )?;
    root.present().map_err(err)?;
    Ok(())
}

fn server(path: &Path, title: &str, samples: &[Sample]) -> Result<()> {
    let root = BitMapBackend::new(path, (SIZE.0, SIZE.1 + 200)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let parts = root.split_evenly((2, 1));
    panel(
        &parts[0],
        &format!("{title}: engine CPU"),
        "% of one core",
        samples,
        &[("engine CPU", |s| s.server_cpu_pct, RED)],
    )?;
    panel(
        &parts[1],
        "engine resident memory",
        "MiB",
        samples,
        &[("engine RSS", |s| s.server_rss_mib, BLUE)],
    )?;
    root.present().map_err(err)?;
    Ok(())
}
