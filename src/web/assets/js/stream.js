// A live stream socket (`/ws/console`, `/ws/board`) per docs/protocol.md: remembers the
// highest `seq` it saw and, after a drop, reconnects with `?since=<seq>` so it gets exactly
// what it missed (or a fresh `snapshot`, which replaces all state). Every frame is applied
// once: ticket event frames are deduplicated by `seq`, live-state frames never (below). Backs off on repeated
// failures; a close with code 1013 (lagging) resumes the same way. A close with
// SIGNED_OUT (the token was revoked) is final: the page is told and nothing is retried.

/** The close code of a socket whose token was revoked (docs/protocol.md). */
export const SIGNED_OUT = 4001;

export class Stream {
  /**
   * @param {string} path `/ws/console` or `/ws/board`
   * @param {string} token
   * @param {{snapshot: Function, frame: Function, status: Function, hello?: Function}} on
   */
  constructor(path, token, on) {
    this.path = path;
    this.token = token;
    this.on = on;
    this.seq = null;
    this.ws = null;
    this.failures = 0;
    this.pending = new Map();
    this.nextId = 1;
    this.stopped = false;
    this.everOpened = false;
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = new URLSearchParams({ token: this.token });
    if (this.seq != null) q.set('since', String(this.seq));
    return `${proto}://${location.host}${this.path}?${q}`;
  }

  connect() {
    if (this.stopped) return;
    this.on.status(this.everOpened ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.onopen = () => {
      this.everOpened = true;
      this.failures = 0;
      this.on.status('live');
      this.ping = setInterval(() => this.sendRaw({ type: 'ping' }), 15000);
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      clearInterval(this.ping);
      if (this.ws !== ws) return;
      this.ws = null;
      for (const [, p] of this.pending) p.reject(Object.assign(new Error('connection lost'), { code: 'network', status: 0 }));
      this.pending.clear();
      if (ev.code === SIGNED_OUT) {
        this.stopped = true;
        this.on.status('signed_out');
        return;
      }
      if (this.stopped) return;
      this.failures += 1;
      this.on.status(this.failures > 3 && this.on.giveUp?.(this.failures) ? 'polling' : 'reconnecting');
      const delay = Math.min(10000, 500 * 2 ** Math.min(this.failures, 5));
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  receive(text) {
    let f;
    try { f = JSON.parse(text); } catch { return; }
    if (f.type === 'hello') {
      this.on.hello?.(f);
      // A resume replays the missed events next (their seq may be below hello's); a fresh
      // start sends a snapshot, which sets the position.
      if (f.resumed === false) this.seq = null;
      return;
    }
    if (f.type === 'pong') return;
    if ((f.type === 'result' || f.type === 'error') && f.request_id && this.pending.has(f.request_id)) {
      const p = this.pending.get(f.request_id);
      this.pending.delete(f.request_id);
      if (f.type === 'result') p.resolve(f.body);
      else p.reject(Object.assign(new Error(f.message), { code: f.code, status: f.status, details: f.details }));
      return;
    }
    if (typeof f.seq === 'number') {
      // Only a ticket event frame (it carries `event`) has a `seq` of its own, the event's
      // id, and only those are replayed on a resume: one at or below the position is a
      // repeat and is dropped. Live-state frames (`vehicle.status`, `vehicle.moved`,
      // `board.*`) carry the position the stream was at when they went out — the `seq` of
      // the ticket event before them, so often equal to the last one seen — and are never
      // replayed (a resume ends with every vehicle's state instead): each is applied as it
      // comes. The protocol keeps one counter because `since` must name a stored event for
      // the replay to be exact (docs/protocol.md, "Streams").
      const ticketEvent = f.event != null && f.type !== 'snapshot';
      if (ticketEvent && this.seq != null && f.seq <= this.seq) return; // already seen
      this.seq = Math.max(f.type === 'snapshot' ? 0 : (this.seq ?? 0), f.seq);
    }
    if (f.type === 'snapshot') this.on.snapshot(f);
    else this.on.frame(f);
  }

  sendRaw(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  /** Sends a console `command` frame; resolves with the result body. */
  command(action, ticketId, body) {
    const request_id = `c-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.sendRaw({ type: 'command', request_id, action, ticket_id: ticketId, body })) {
        reject(Object.assign(new Error('not connected'), { code: 'not_connected', status: 0 }));
        return;
      }
      this.pending.set(request_id, { resolve, reject });
    });
  }

  isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** Drops the socket as a network failure would (for the reconnect path). */
  drop() {
    this.ws?.close();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}
