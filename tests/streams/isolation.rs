//! A client that stops reading never delays anyone: with a tiny receive buffer and no
//! reads, its backlog passes the bound, the hub cuts it off, and when it reads again it
//! gets what was already queued and a close frame (1013, resume with since). A healthy
//! client on the same stream receives every event in order meanwhile.

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::{assert_ordered, canary_intake, connect, ticket_frames};
use crate::common::spawn_app_with;

/// Enough frames (about 12 KB each) to pass what loopback buffers can hold (the sender's
/// buffer grows to 4 MiB).
const EVENTS: usize = 600;

#[actix_web::test]
async fn a_client_that_stops_reading_is_cut_off_and_others_get_everything() {
    let app = spawn_app_with(&[("APP__STREAMS__MAX_BACKLOG", "64")]).await;
    let d = app.token("dispatcher", None).await;

    // The laggard: a receive buffer of about a kilobyte, and it never reads.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(1024).expect("small buffer");
    let stream = socket
        .connect(addr.parse().expect("address"))
        .await
        .expect("connect");
    let url = format!("ws://{addr}/ws/console?token={d}");
    let (mut laggard, _) = tokio_tungstenite::client_async(url, stream)
        .await
        .expect("handshake");
    let mut healthy = connect(&app, "/ws/console", &d).await;
    healthy.next_of("snapshot").await;

    // Big frames (long descriptions) fill the laggard's buffers quickly.
    // The healthy client reads while they are published.
    let long = "梅川镇正街一家烟酒店疑似销售假冒卷烟，".repeat(205);
    let publish = async {
        for chunk in (0..EVENTS).collect::<Vec<_>>().chunks(8) {
            let posts = chunk.iter().map(|i| {
                let mut body = canary_intake(&format!("I-{i}"), "counterfeit");
                body["description"] = serde_json::json!(long);
                app.post("/tickets", &d, body)
            });
            for (s, b) in futures_util::future::join_all(posts).await {
                assert!(s.is_success(), "{b}");
            }
        }
    };
    let (frames, ()) = futures_util::join!(ticket_frames(&mut healthy, EVENTS), publish);
    assert_ordered(&frames);
    assert!(frames.iter().all(|f| f["type"] == "ticket.created"));

    let metrics = app.metrics().await;
    let cutoffs = metrics.contains("hotline_stream_cutoffs_total");

    // Reading again: some frames, then the close frame; far fewer than were published.
    let mut got = 0;
    let close = loop {
        let msg = tokio::time::timeout(crate::common::ws::WAIT, laggard.next())
            .await
            .expect("the laggard's connection moves once it reads");
        match msg {
            Some(Ok(Message::Text(t))) => {
                if t.contains("\"ticket.created\"") {
                    got += 1;
                }
            }
            Some(Ok(Message::Close(frame))) => break frame,
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("the laggard should get a close frame, got {e}"),
            None => panic!("closed without a close frame"),
        }
    };
    assert!(
        got < EVENTS,
        "the laggard was cut off before the end ({got} of {EVENTS})"
    );
    assert!(cutoffs, "cut-offs are counted");
    let close = close.expect("a close frame with a reason");
    assert_eq!(close.code, CloseCode::Again);
    assert!(
        close.reason.contains("resume with since="),
        "{}",
        close.reason
    );

    // The healthy client is still live.
    app.post("/tickets", &d, canary_intake("I-after", "counterfeit"))
        .await;
    assert_eq!(
        ticket_frames(&mut healthy, 1).await[0]["type"],
        "ticket.created"
    );
}
