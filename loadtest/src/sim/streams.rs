//! Dispatch consoles (`/ws/console`) and public boards (`/ws/board`) watching the run, as
//! `docs/protocol.md` ("Streams") describes them. A console counts every `offer.sent` it
//! sees per ticket (for the audit and intake → console latency) and reads the `at` of
//! every move in `vehicle.moved` (the fix's own `ts`: position → console latency). Frames
//! are read with a typed partial parse that skips everything else; `vehicle.moved` frames
//! are scanned, not parsed (moves counted, the first few timed with a hand-written
//! RFC 3339 reader): fifty consoles may read millions of moves a second. A stream the engine cuts off (1013, lagging) is resumed with `?since=<seq>`, as
//! a real console does; the replay brings back the `offer.sent` frames it missed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use serde::Deserialize;
use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use super::Stage;
use super::args::ConsoleView;
use super::track::{Counters, Tracker};
use crate::fleet::path::TOWNS;
use crate::fleet::socket::encode_query;
use crate::stats::new_histogram;
use crate::timefmt::{now_us, parse_rfc3339_us};

type Ws = WebSocketStream<tokio::net::TcpStream>;

/// Which stream a client follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Console,
    Board,
}

impl Audience {
    fn path(self) -> &'static str {
        match self {
            Audience::Console => "/ws/console",
            Audience::Board => "/ws/board",
        }
    }
}

/// Where a stream client connects from and to.
#[derive(Debug, Clone)]
pub struct StreamTarget {
    pub server: SocketAddr,
    pub ws_base: String,
    pub local: IpAddr,
    pub token: String,
}

/// The fields every stream frame is looked at for.
#[derive(Deserialize)]
struct Head {
    #[serde(rename = "type")]
    kind: String,
    seq: Option<u64>,
    ticket_id: Option<String>,
}

/// Moves timed per `vehicle.moved` frame: with 100,000 vehicles a frame holds tens of
/// thousands of moves, and a sample tells the delay as well as all of them.
const TIMED_PER_FRAME: usize = 64;

/// What a console reads of a `vehicle.moved` frame, found by scanning rather than
/// parsing (a frame can be megabytes): its `seq`, how many moves, and the `at` of the
/// first `TIMED_PER_FRAME` moves. The engine writes `seq` before `moves`, and no string
/// in a move holds a `"` (ids, numbers and times).
struct MovedScan<'a> {
    seq: Option<u64>,
    count: usize,
    timed: Vec<&'a str>,
}

fn scan_moved(text: &str) -> MovedScan<'_> {
    let seq = text.find(r#""seq":"#).and_then(|i| {
        let rest = &text[i + 6..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    });
    let count = text.matches(r#""vehicle_id":""#).count();
    let timed = text
        .match_indices(r#""at":""#)
        .take(TIMED_PER_FRAME)
        .filter_map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest.split('"').next()
        })
        .collect();
    MovedScan { seq, count, timed }
}

/// Opens a stream socket; `since` resumes after that `seq`, and a console opens with its
/// `view` (the engine's `view` parameter: its snapshot then holds what the view shows).
pub async fn open(
    t: &StreamTarget,
    audience: Audience,
    since: Option<u64>,
    view: Option<&str>,
) -> Result<Ws> {
    let sock = if t.local.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }?;
    sock.bind(SocketAddr::new(t.local, 0))
        .with_context(|| format!("binding to {}", t.local))?;
    let stream = sock
        .connect(t.server)
        .await
        .with_context(|| format!("connecting to {}", t.server))?;
    stream.set_nodelay(true).ok();
    let mut url = format!(
        "{}{}?token={}",
        t.ws_base,
        audience.path(),
        encode_query(&t.token)
    );
    if let Some(s) = since {
        url.push_str(&format!("&since={s}"));
    }
    if let Some(v) = view {
        url.push_str(&format!("&view={}", encode_query(v)));
    }
    // A console's snapshot holds every open ticket: allow large messages.
    let config = WebSocketConfig::default()
        .max_message_size(Some(1 << 30))
        .max_frame_size(Some(1 << 30));
    let (ws, _) = client_async_with_config(url, stream, Some(config))
        .await
        .with_context(|| format!("WebSocket handshake on {}", audience.path()))?;
    Ok(ws)
}

/// Half the side of a desk's view around its town's centre, degrees (about 5 km).
const TOWN_VIEW_DEG: f64 = 0.05;
/// A desk's map zoom: at 12 or more the engine sends every vehicle in view one by one.
const TOWN_VIEW_ZOOM: f64 = 13.0;

/// The view console `index` opens with when watching `view` (none: it watches everything):
/// a `viewport` frame's object, given in the URL so its snapshot and every resume carry
/// only the vehicles in it.
pub fn console_viewport(view: ConsoleView, index: usize) -> Option<String> {
    match view {
        ConsoleView::Everything => None,
        ConsoleView::Town => {
            let (lat, lng) = TOWNS[index % TOWNS.len()].centre();
            let d = TOWN_VIEW_DEG;
            let bbox = [lng - d, lat - d, lng + d, lat + d];
            Some(serde_json::json!({ "bbox": bbox, "zoom": TOWN_VIEW_ZOOM }).to_string())
        }
    }
}

/// What a watcher needs.
pub struct Watcher {
    pub index: usize,
    pub audience: Audience,
    /// A console's view, named each time its stream opens.
    pub view: Option<String>,
    pub target: StreamTarget,
    pub counters: Arc<Counters>,
    pub tracker: Arc<Tracker>,
}

/// Follows the stream until the stage is `Finish`, resuming when cut off; the first
/// connection is already open.
pub async fn watch(w: Watcher, first: Ws, mut stage: watch::Receiver<Stage>) {
    let mut moves = new_histogram();
    let mut last_seq: Option<u64> = None;
    let mut ws = Some(first);
    let c = &w.counters;
    while *stage.borrow() != Stage::Finish {
        let socket = match ws.take() {
            Some(s) => s,
            None => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                match open(&w.target, w.audience, last_seq, w.view.as_deref()).await {
                    Ok(s) => s,
                    Err(_) => {
                        c.error("stream_reconnect_failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                }
            }
        };
        let resumed = last_seq.is_some();
        let ended = follow(&w, socket, resumed, &mut stage, &mut last_seq, &mut moves).await;
        match ended {
            Ended::Finish => break,
            Ended::Lagging => c.add(&c.stream_resumes, 1),
            Ended::Closed(why) => c.error(&why),
        }
    }
    w.tracker.merge_moves(&moves);
}

enum Ended {
    Finish,
    Lagging,
    Closed(String),
}

async fn follow(
    w: &Watcher,
    ws: Ws,
    resumed: bool,
    stage: &mut watch::Receiver<Stage>,
    last_seq: &mut Option<u64>,
    moves: &mut Histogram<u64>,
) -> Ended {
    let (mut sink, mut stream) = ws.split();
    let c = &w.counters;
    let mut skip_moves = resumed;
    let name = match w.audience {
        Audience::Console => "console",
        Audience::Board => "board",
    };
    loop {
        let msg = tokio::select! {
            changed = stage.changed() => {
                if changed.is_err() || *stage.borrow() == Stage::Finish {
                    let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
                    return Ended::Finish;
                }
                continue;
            }
            msg = stream.next() => msg,
        };
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Close(Some(f)))) if f.code == CloseCode::Again => {
                return Ended::Lagging;
            }
            Some(Ok(Message::Close(f))) => {
                let code = f.map_or(0, |f| u16::from(f.code));
                return Ended::Closed(format!("{name}_closed:{code}"));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Ended::Closed(format!("{name}_dropped")),
        };
        let at = now_us();
        let text = text.as_str();
        match w.audience {
            Audience::Console => {
                c.add(&c.console_frames, 1);
                c.add(&c.console_bytes, text.len() as u64);
            }
            Audience::Board => {
                c.add(&c.board_frames, 1);
                c.add(&c.board_bytes, text.len() as u64);
            }
        }
        if frame_type(text) == Some("vehicle.moved") {
            let m = scan_moved(text);
            note_seq(last_seq, m.seq);
            c.add(&c.console_moves, m.count as u64);
            // A resume ends with every vehicle's latest fix, old or not: not timed.
            if !std::mem::take(&mut skip_moves) {
                for fix_us in m.timed.iter().filter_map(|at| parse_rfc3339_us(at)) {
                    if w.tracker.measured(fix_us) {
                        let us = u64::try_from(at - fix_us).unwrap_or(0).max(1);
                        moves.saturating_record(us);
                    }
                }
            }
            continue;
        }
        let Ok(head) = serde_json::from_str::<Head>(text) else {
            c.error(&format!("{name}_bad_frame"));
            continue;
        };
        // `hello` and `snapshot` carry the seq the stream is current to; deltas theirs.
        note_seq(last_seq, head.seq);
        if w.audience == Audience::Console && head.kind == "offer.sent" {
            match head.ticket_id.as_deref() {
                Some(id) => w.tracker.console_offer(w.index, id, at),
                None => c.error("console_offer_without_ticket"),
            }
        }
    }
}

fn note_seq(last: &mut Option<u64>, seq: Option<u64>) {
    if let Some(s) = seq {
        *last = Some(last.map_or(s, |l| l.max(s)));
    }
}

/// The frame's `type` when it is the first key (as the engine writes frames), else `None`.
fn frame_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix(r#"{"type":""#)?;
    rest.split('"').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_town_desk_watches_its_town_zoomed_in() {
        assert_eq!(console_viewport(ConsoleView::Everything, 3), None);
        let frame = console_viewport(ConsoleView::Town, TOWNS.len() + 1).expect("a view");
        let v: serde_json::Value = serde_json::from_str(&frame).expect("json");
        let (lat, lng) = TOWNS[1].centre();
        assert_eq!(v.get("type"), None);
        assert!(v["zoom"].as_f64().expect("zoom") >= 12.0);
        let b: Vec<f64> = serde_json::from_value(v["bbox"].clone()).expect("bbox");
        assert!(b[0] < lng && lng < b[2] && b[1] < lat && lat < b[3]);
    }

    #[test]
    fn frame_types_and_partial_parses() {
        let moved = r#"{"type":"vehicle.moved","seq":7,"moves":[{"vehicle_id":"V-1","position":{"lat":30.0,"lng":115.5},"at":"2026-11-27T08:00:00.25Z","speed_kmh":40.0}]}"#;
        assert_eq!(frame_type(moved), Some("vehicle.moved"));
        let m = scan_moved(moved);
        assert_eq!((m.seq, m.count), (Some(7), 1));
        assert_eq!(parse_rfc3339_us(m.timed[0]), Some(1_795_766_400_250_000));
        let two = r#"{"type":"vehicle.moved","seq":12,"moves":[{"vehicle_id":"a","at":"2026-11-27T08:00:00Z"},{"vehicle_id":"b","at":"2026-11-27T08:00:01Z"}]}"#;
        let m = scan_moved(two);
        assert_eq!((m.seq, m.count, m.timed.len()), (Some(12), 2, 2));
        let offer = r#"{"type":"offer.sent","seq":1042,"ticket_id":"t-1","number":"WX-1","event":{"seq":5,"type":"offer.sent","data":{"vehicle_id":"V-1"}},"ticket":{"id":"t-1"}}"#;
        let h: Head = serde_json::from_str(offer).expect("parses");
        assert_eq!(
            (h.kind.as_str(), h.seq, h.ticket_id.as_deref()),
            ("offer.sent", Some(1042), Some("t-1"))
        );
        assert_eq!(frame_type(r#"{"seq":1,"type":"x"}"#), None);
        let mut last = None;
        note_seq(&mut last, Some(5));
        note_seq(&mut last, Some(3));
        note_seq(&mut last, None);
        assert_eq!(last, Some(5));
    }
}
