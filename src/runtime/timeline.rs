//! `--timeline FILE.svg`: a traced run (`trace::Model`) drawn as SVG
//! swimlanes, readable in any browser. One `<g class="lane">` per process,
//! labelled `name pid`; its life as a thin grey line; waits (red for locks,
//! orange otherwise) and holds (blue for locks, green for sems) as bars,
//! nested ones drawn inside their parent; instants as ticks at the top of
//! the lane. Every shape has a `<title>`, which browsers show on hover.
//! Pure string building; all text goes through `esc`.

use super::trace::{Model, Slice, Track};
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const LABEL_W: f64 = 200.0;
const RIGHT: f64 = 30.0;
const LANE_H: f64 = 36.0;
const TOP: f64 = 54.0;
const LEGEND_H: f64 = 44.0;

/// The whole SVG document.
pub fn render(model: &Model) -> String {
    let span = model.end.max(1.0);
    let plot_w = WIDTH - LABEL_W - RIGHT;
    let x = |t: f64| LABEL_W + t.clamp(0.0, span) / span * plot_w;
    let lanes_h = model.tracks.len() as f64 * LANE_H;
    let height = TOP + lanes_h + LEGEND_H;
    let mut s = String::new();
    let _ = write!(
        s,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <title>mpscript timeline</title>\n\
         <style>.slice:hover, .mark:hover {{ stroke: #000; stroke-width: 1.5; }} \
         .tick {{ stroke: #ddd; }} .axis {{ fill: #666; font-size: 11px; }}</style>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">mpscript timeline: {} processes, {}</text>\n",
        model.tracks.len(),
        esc(&duration(span)),
    );
    axis(&mut s, span, &x, TOP + lanes_h);
    for (i, t) in model.tracks.iter().enumerate() {
        lane(&mut s, t, TOP + i as f64 * LANE_H, i % 2 == 1, &x);
    }
    legend(&mut s, TOP + lanes_h + 14.0);
    s.push_str("</svg>\n");
    s
}

fn axis(s: &mut String, span: f64, x: &impl Fn(f64) -> f64, bottom: f64) {
    let step = nice_step(span / 8.0);
    let mut k = 0.0;
    while k * step <= span * 1.0001 {
        let t = k * step;
        let px = x(t);
        let _ = writeln!(
            s,
            "<line class=\"tick\" x1=\"{px:.1}\" y1=\"{}\" x2=\"{px:.1}\" y2=\"{bottom}\"/>\
             <text class=\"axis\" x=\"{px:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            TOP - 8.0,
            TOP - 12.0,
            esc(&duration(t)),
        );
        k += 1.0;
    }
}

fn lane(s: &mut String, t: &Track, y0: f64, shaded: bool, x: &impl Fn(f64) -> f64) {
    let label = esc(&t.label());
    let fill = if shaded { "#f6f6f6" } else { "#ffffff" };
    let ended = match t.exitcode {
        Some(c) if c < 0 => format!("killed by signal {}", -c),
        Some(c) => format!("exit code {c}"),
        None => "end of run".into(),
    };
    let mid = y0 + LANE_H / 2.0;
    let _ = write!(
        s,
        "<g class=\"lane\">\n<rect x=\"0\" y=\"{y0}\" width=\"{WIDTH}\" height=\"{LANE_H}\" fill=\"{fill}\"/>\n\
         <text x=\"10\" y=\"{:.1}\">{label}<title>{label}</title></text>\n\
         <rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"2\" fill=\"#aaa\">\
         <title>{label}: from {} to {} ({})</title></rect>\n",
        mid + 4.0,
        x(t.start),
        mid - 1.0,
        (x(t.end) - x(t.start)).max(1.0),
        esc(&duration(t.start)),
        esc(&duration(t.end)),
        esc(&ended),
    );
    // Runs of slices too thin to see apart (a lock taken in a tight loop)
    // become one bar per depth, with their count.
    let mut runs: Vec<Option<Run>> = Vec::new();
    for sl in &t.slices {
        if runs.len() <= sl.depth {
            runs.resize_with(sl.depth + 1, || None);
        }
        let run = &mut runs[sl.depth];
        match run {
            Some(r) if r.takes(sl, x) => r.add(sl),
            _ => {
                if let Some(r) = run.take() {
                    r.draw(s, y0, x);
                }
                *run = Some(Run::new(sl));
            }
        }
    }
    runs.into_iter().flatten().for_each(|r| r.draw(s, y0, x));
    // Likewise instants within a pixel of each other: one tick, with counts.
    let mut i = 0;
    while i < t.marks.len() {
        let m = &t.marks[i];
        let px = x(m.ts);
        let group = t.marks[i..].iter().take_while(|n| x(n.ts) - px < 1.0).count();
        let title = if group == 1 {
            let at = if m.at.is_empty() { String::new() } else { format!(" at {}", m.at) };
            format!("{}{at} ({})", m.name, duration(m.ts))
        } else {
            let mut counts: Vec<(&str, usize)> = Vec::new();
            for n in &t.marks[i..i + group] {
                match counts.iter_mut().find(|(name, _)| *name == n.name) {
                    Some((_, c)) => *c += 1,
                    None => counts.push((&n.name, 1)),
                }
            }
            let list: Vec<String> = counts.iter().map(|(name, c)| format!("{name} ×{c}")).collect();
            format!("{} (from {} to {})", list.join(", "), duration(m.ts), duration(t.marks[i + group - 1].ts))
        };
        let _ = writeln!(
            s,
            "<line class=\"mark\" x1=\"{px:.1}\" y1=\"{:.1}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"{}\" \
             stroke-width=\"2\"><title>{}</title></line>",
            y0 + 1.0,
            y0 + 9.0,
            mark_colour(&m.cat),
            esc(&title),
        );
        i += group;
    }
    s.push_str("</g>\n");
}

/// Consecutive slices of one kind at one depth, drawn as one bar when
/// they are too thin to tell apart.
struct Run<'a> {
    first: &'a Slice,
    end: f64,
    busy: f64,
    count: usize,
}

impl<'a> Run<'a> {
    fn new(sl: &'a Slice) -> Run<'a> {
        Run { first: sl, end: sl.ts + sl.dur, busy: sl.dur, count: 1 }
    }

    /// Whether `sl` continues this run: same label, thin, and within a pixel.
    fn takes(&self, sl: &Slice, x: &impl Fn(f64) -> f64) -> bool {
        let thin = |a: f64, b: f64| x(b) - x(a) < 2.0;
        sl.name == self.first.name
            && sl.cat == self.first.cat
            && thin(sl.ts, sl.ts + sl.dur)
            && (self.count > 1 || thin(self.first.ts, self.end))
            && x(sl.ts) - x(self.end) < 1.0
    }

    fn add(&mut self, sl: &Slice) {
        self.end = self.end.max(sl.ts + sl.dur);
        self.busy += sl.dur;
        self.count += 1;
    }

    fn draw(&self, s: &mut String, y0: f64, x: &impl Fn(f64) -> f64) {
        let sl = self.first;
        let d = sl.depth.min(3) as f64;
        let h = (LANE_H - 14.0 - 8.0 * d).max(4.0);
        let y = y0 + 10.0 + 4.0 * d;
        let left = x(sl.ts);
        let w = (x(self.end) - left).max(1.0);
        let at = if sl.at.is_empty() { String::new() } else { format!(" at {}", sl.at) };
        let what = match self.count {
            1 => format!("{}{at}: {} from {}", sl.name, duration(sl.dur), duration(sl.ts)),
            n => format!(
                "{} ×{n}{at}: {} in all, from {} to {}",
                sl.name,
                duration(self.busy),
                duration(sl.ts),
                duration(self.end)
            ),
        };
        let _ = writeln!(
            s,
            "<rect class=\"slice\" x=\"{left:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"2\" \
             fill=\"{}\" fill-opacity=\"0.85\"><title>{}</title></rect>",
            slice_colour(&sl.cat),
            esc(&what),
        );
    }
}

fn legend(s: &mut String, y: f64) {
    let items = [
        ("#d62728", "wait for a lock"),
        ("#ff7f0e", "other wait (event, sem, condition, barrier, join, queue, pipe)"),
        ("#c7c7c7", "sleep"),
        ("#1f77b4", "hold a lock"),
        ("#2ca02c", "hold a sem permit"),
    ];
    let mut px = 10.0;
    for (colour, text) in items {
        let _ = writeln!(
            s,
            "<rect x=\"{px}\" y=\"{y}\" width=\"14\" height=\"12\" rx=\"2\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            px + 19.0,
            y + 10.5,
            esc(text)
        );
        px += 30.0 + 6.6 * text.len() as f64;
    }
    let _ = writeln!(
        s,
        "<text class=\"axis\" x=\"10\" y=\"{}\">ticks: spawn, exit, event set/clear, condition notify, \
         barrier arrivals, queue and pipe operations; hover over any shape for details</text>",
        y + 28.0
    );
}

fn slice_colour(cat: &str) -> &'static str {
    match cat {
        "wait,lock" => "#d62728",
        "sleep" => "#c7c7c7",
        "hold,lock" => "#1f77b4",
        "hold,sem" => "#2ca02c",
        c if c.starts_with("wait") => "#ff7f0e",
        _ => "#7f7f7f",
    }
}

fn mark_colour(cat: &str) -> &'static str {
    match cat.split(',').next().unwrap_or("") {
        "process" => "#444",
        "event" => "#9467bd",
        "queue" => "#17becf",
        "pipe" => "#8c564b",
        "condition" => "#e377c2",
        "barrier" => "#bcbd22",
        "release" => "#1f77b4",
        "hold" => "#2ca02c",
        "shared" => "#d62728",
        _ => "#333",
    }
}

/// 1, 2 or 5 times a power of ten, at least `raw` (µs).
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|&v| v >= raw).unwrap_or(10.0 * p)
}

/// A duration given in µs, in a readable unit.
fn duration(us: f64) -> String {
    if us == 0.0 {
        "0".into()
    } else if us >= 1_000_000.0 {
        format!("{} s", trim(us / 1_000_000.0))
    } else if us >= 1000.0 {
        format!("{} ms", trim(us / 1000.0))
    } else {
        format!("{} µs", trim(us))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Text for XML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(130.0), 200.0);
        assert_eq!(nice_step(0.3), 1.0);
        assert_eq!(nice_step(4000.0), 5000.0);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot; ");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(1500.0), "1.5 ms");
        assert_eq!(duration(2_000_000.0), "2 s");
        assert_eq!(duration(12.0), "12 µs");
    }
}
