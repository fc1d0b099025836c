//! Reading a trace back: the buffer's lines become a `Model` — one track
//! per process, its slices properly nested, its instants — which is then
//! written as Chrome trace-event JSON (`chrome_json`) or drawn as SVG
//! (`runtime::timeline`). Only the main process does this, at the end.

use rustc_hash::FxHashMap;
use serde_json::json;

/// One line of the buffer.
#[derive(serde::Deserialize)]
struct Rec {
    t: u64,
    p: i32,
    k: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    c: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    code: Option<i32>,
    /// A label (a `d` record's fields) to fill in.
    #[serde(default, rename = "L")]
    label: Option<u64>,
}

/// The run, ready to draw: one track per process, in order of start.
#[derive(Debug, Default)]
pub struct Model {
    pub tracks: Vec<Track>,
    /// Time of the last event, in µs since the start.
    pub end: f64,
}

#[derive(Debug, Default)]
pub struct Track {
    pub pid: i32,
    pub name: String,
    /// µs since the start of the trace.
    pub start: f64,
    pub end: f64,
    pub exitcode: Option<i32>,
    /// Properly nested: a slice at `depth` d lies within one at d-1.
    pub slices: Vec<Slice>,
    pub marks: Vec<Mark>,
}

impl Track {
    /// The lane's name: `name pid`.
    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.pid)
    }
}

#[derive(Clone, Debug)]
pub struct Slice {
    pub name: String,
    /// Comma-separated categories, the first one the family: `wait,lock`.
    pub cat: String,
    pub at: String,
    pub ts: f64,
    pub dur: f64,
    pub depth: usize,
}

#[derive(Clone, Debug)]
pub struct Mark {
    pub name: String,
    pub cat: String,
    pub at: String,
    pub ts: f64,
}

/// A slice still open while a track's events are replayed.
struct Open<'a> {
    rec: &'a Rec,
    ts: u64,
}

impl Model {
    /// Build from the buffer's lines (times in ns since tracing began).
    pub fn build(text: &str) -> Model {
        // A torn line (its writer was killed mid-copy) ends in NULs: skip it.
        let mut recs: Vec<Rec> = text.split(['\n', '\0']).filter_map(|l| serde_json::from_str(l).ok()).collect();
        let defs: FxHashMap<u64, (String, String, String, String)> = recs
            .iter()
            .filter(|r| r.k == "d")
            .filter_map(|r| Some((r.label?, (r.id.clone(), r.c.clone(), r.n.clone(), r.at.clone()))))
            .collect();
        recs.retain(|r| r.k != "d" && r.label.is_none_or(|l| defs.contains_key(&l)));
        for r in &mut recs {
            if let Some((id, c, n, at)) = r.label.and_then(|l| defs.get(&l)) {
                (r.id, r.c, r.n, r.at) = (id.clone(), c.clone(), n.clone(), at.clone());
            }
        }
        let last = recs.iter().map(|r| r.t).max().unwrap_or(0);
        let us = |t: u64| t as f64 / 1000.0;
        let mut pids: Vec<i32> = Vec::new();
        let mut by_pid: FxHashMap<i32, Vec<&Rec>> = FxHashMap::default();
        for r in &recs {
            let v = by_pid.entry(r.p).or_default();
            if v.is_empty() {
                pids.push(r.p);
            }
            v.push(r);
        }
        // Labels by slice id, so a sem released by another process is named.
        let labels: FxHashMap<&str, &str> =
            recs.iter().filter(|r| r.k == "b").map(|r| (r.id.as_str(), r.n.as_str())).collect();
        let mut tracks: Vec<Track> = pids
            .iter()
            .map(|pid| {
                let own = &by_pid[pid];
                let first = |k: &str| own.iter().find(|r| r.k == k);
                let name = own.iter().rev().find(|r| r.k == "rn").or_else(|| first("n")).map(|r| r.n.clone());
                let (end, exitcode) = match first("x").or_else(|| first("r")) {
                    Some(r) => (r.t, r.code),
                    None => (last, None),
                };
                let begin = own.iter().map(|r| r.t).min().unwrap_or(0);
                let mut track = Track {
                    pid: *pid,
                    name: name.unwrap_or_else(|| "?".into()),
                    start: us(begin),
                    end: us(end.max(begin)),
                    exitcode,
                    ..Track::default()
                };
                replay(&mut track, own, end, &labels, &us);
                track
            })
            .collect();
        tracks.sort_by(|a, b| a.start.total_cmp(&b.start));
        Model { tracks, end: us(last) }
    }

    /// The Chrome trace-event JSON object.
    pub fn chrome_json(&self) -> serde_json::Value {
        let mut events = Vec::new();
        for (i, t) in self.tracks.iter().enumerate() {
            let label = t.label();
            for (what, arg) in [("process_name", json!({"name": label})), ("thread_name", json!({"name": label}))] {
                events.push(json!({"ph": "M", "name": what, "pid": t.pid, "tid": t.pid, "args": arg}));
            }
            for what in ["process_sort_index", "thread_sort_index"] {
                events.push(json!({"ph": "M", "name": what, "pid": t.pid, "tid": t.pid, "args": {"sort_index": i}}));
            }
            for s in &t.slices {
                let mut e = json!({
                    "ph": "X", "name": s.name, "cat": s.cat, "ts": s.ts, "dur": s.dur, "pid": t.pid, "tid": t.pid,
                });
                with_place(&mut e, &s.at);
                events.push(e);
            }
            for m in &t.marks {
                let mut e =
                    json!({"ph": "i", "s": "t", "name": m.name, "cat": m.cat, "ts": m.ts, "pid": t.pid, "tid": t.pid});
                with_place(&mut e, &m.at);
                events.push(e);
            }
        }
        json!({"traceEvents": events, "displayTimeUnit": "ms"})
    }
}

/// `"args": {"at": "file:line"}` when the event has a place.
fn with_place(event: &mut serde_json::Value, at: &str) {
    if !at.is_empty() {
        event["args"] = json!({ "at": at });
    }
}

/// Turn one process's records into nested slices and marks. An end that
/// closes a slice below the top (locks released out of order) closes the
/// ones above it and reopens them, so slices always nest.
fn replay(track: &mut Track, own: &[&Rec], end: u64, labels: &FxHashMap<&str, &str>, us: &impl Fn(u64) -> f64) {
    // First pair each end with its begin, innermost first, per id.
    let mut open: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    let mut paired = vec![false; own.len()];
    for (i, r) in own.iter().enumerate() {
        match r.k.as_str() {
            "b" => open.entry(&r.id).or_default().push(i),
            "e" => {
                if let Some(b) = open.get_mut(r.id.as_str()).and_then(|v| v.pop()) {
                    paired[b] = true;
                    paired[i] = true;
                }
            }
            _ => {}
        }
    }
    let mark = |track: &mut Track, r: &Rec, name: String| {
        track.marks.push(Mark { name, cat: r.c.clone(), at: r.at.clone(), ts: us(r.t) })
    };
    let mut stack: Vec<Open> = Vec::new();
    let close = |track: &mut Track, o: &Open, depth: usize, t: u64| {
        track.slices.push(Slice {
            name: o.rec.n.clone(),
            cat: o.rec.c.clone(),
            at: o.rec.at.clone(),
            ts: us(o.ts),
            dur: t.saturating_sub(o.ts) as f64 / 1000.0,
            depth,
        })
    };
    for (i, r) in own.iter().enumerate() {
        match r.k.as_str() {
            // A sem permit this process never gave back: just the acquire.
            "b" if !paired[i] && r.id.starts_with("s:") => {
                mark(track, r, r.n.replacen("hold", "acquire", 1));
            }
            "b" => stack.push(Open { rec: r, ts: r.t }),
            "e" if !paired[i] => {
                let name = labels.get(r.id.as_str()).map_or_else(|| r.n.clone(), |n| n.replacen("hold", "release", 1));
                mark(track, r, name)
            }
            "e" => {
                let Some(pos) = stack.iter().rposition(|o| o.rec.id == r.id) else { continue };
                let above: Vec<Open> = stack.drain(pos + 1..).collect();
                for (d, o) in above.iter().enumerate().rev() {
                    close(track, o, pos + 1 + d, r.t);
                }
                let o = stack.pop().expect("found above");
                close(track, &o, pos, r.t);
                stack.extend(above.into_iter().map(|o| Open { ts: r.t, ..o }));
            }
            "i" => mark(track, r, r.n.clone()),
            _ => {}
        }
    }
    while let Some(o) = stack.pop() {
        close(track, &o, stack.len(), end);
    }
    let name = match track.exitcode {
        Some(code) if code < 0 => format!("killed by {}", crate::runtime::signals::name(-code)),
        Some(code) => format!("exit {code}"),
        None => "end".into(),
    };
    track.marks.push(Mark { name, cat: "process,exit".into(), at: String::new(), ts: track.end });
    track.slices.sort_by(|a, b| a.ts.total_cmp(&b.ts).then(a.depth.cmp(&b.depth)));
    track.marks.sort_by(|a, b| a.ts.total_cmp(&b.ts));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn slices(m: &Model, pid: i32) -> Vec<(String, f64, f64, usize)> {
        let t = m.tracks.iter().find(|t| t.pid == pid).expect("track");
        t.slices.iter().map(|s| (s.name.clone(), s.ts, s.ts + s.dur, s.depth)).collect()
    }

    #[test]
    fn locks_released_out_of_order_still_nest() {
        let text = r#"{"t":0,"p":1,"k":"n","n":"MainProcess"}
{"t":1000,"p":1,"k":"b","id":"l:8","n":"hold lock `a`"}
{"t":2000,"p":1,"k":"b","id":"l:9","n":"hold lock `b`"}
{"t":3000,"p":1,"k":"e","id":"l:8"}
{"t":4000,"p":1,"k":"e","id":"l:9"}
{"t":5000,"p":1,"k":"x"}"#;
        let m = Model::build(text);
        let s = slices(&m, 1);
        assert_eq!(
            s,
            vec![
                ("hold lock `a`".into(), 1.0, 3.0, 0),
                ("hold lock `b`".into(), 2.0, 3.0, 1),
                ("hold lock `b`".into(), 3.0, 4.0, 0),
            ]
        );
    }

    #[test]
    fn a_dead_process_s_slices_end_when_it_was_reaped() {
        let text = "{\"t\":0,\"p\":1,\"k\":\"n\",\"n\":\"MainProcess\"}\n\
                    {\"t\":500,\"p\":2,\"k\":\"n\",\"n\":\"Process-1\"}\n\
                    {\"t\":1000,\"p\":2,\"k\":\"b\",\"id\":\"l:8\",\"n\":\"hold lock `a`\"}\n\
                    {\"t\":1500,\"p\":2,\"k\":\"b\",\"id\":\"w\",\"n\":\"sleep\"}\n\
                    {\"t\":1600,\"p\":2,\"k\":\"i\",\"n\":\"torn\0\0\0\0\
                    {\"t\":9000,\"p\":2,\"k\":\"r\",\"code\":-9}\n\
                    {\"t\":9500,\"p\":1,\"k\":\"x\"}\n";
        let m = Model::build(text);
        assert_eq!(m.tracks.len(), 2);
        assert_eq!(slices(&m, 2), vec![("hold lock `a`".into(), 1.0, 9.0, 0), ("sleep".into(), 1.5, 9.0, 1)]);
        let child = &m.tracks[1];
        let marks: Vec<&str> = child.marks.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(marks, ["killed by SIGKILL"], "the torn line is skipped");
        assert_eq!(child.label(), "Process-1 2");
    }

    #[test]
    fn labels_renames_and_sem_permits() {
        let text = r#"{"t":0,"p":1,"k":"n","n":"MainProcess"}
{"t":1,"p":1,"k":"d","L":1,"id":"s:5","c":"hold,sem","n":"hold sem `s`","at":"x.mps:3"}
{"t":2,"p":1,"k":"b","L":1}
{"t":3,"p":2,"k":"n","n":"Process-1"}
{"t":4,"p":2,"k":"rn","n":"Worker"}
{"t":5,"p":2,"k":"e","id":"s:5","c":"release,sem","n":"release sem"}
{"t":6,"p":2,"k":"x","code":0}
{"t":7,"p":1,"k":"x"}"#;
        let m = Model::build(text);
        let main = &m.tracks[0];
        assert!(main.slices.is_empty(), "a permit given back by another process is no slice");
        assert_eq!(main.marks[0].name, "acquire sem `s`");
        assert_eq!(main.marks[0].at, "x.mps:3");
        let worker = &m.tracks[1];
        assert_eq!(worker.name, "Worker");
        assert_eq!(worker.marks[0].name, "release sem `s`");
        assert_eq!(worker.marks[1].name, "exit 0");
    }

    #[test]
    fn chrome_json_has_metadata_per_track() {
        let m = Model::build("{\"t\":0,\"p\":7,\"k\":\"n\",\"n\":\"MainProcess\"}\n{\"t\":10,\"p\":7,\"k\":\"x\"}\n");
        let v = m.chrome_json();
        let events = v["traceEvents"].as_array().expect("array");
        let names: Vec<&Value> = events.iter().filter(|e| e["name"] == "process_name").collect();
        assert_eq!(names.len(), 1);
        assert_eq!(names[0]["args"]["name"], "MainProcess 7");
        assert_eq!(v["displayTimeUnit"], "ms");
    }
}
