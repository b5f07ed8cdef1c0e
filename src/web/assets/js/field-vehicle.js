// The phone as its vehicle's app on `/ws/vehicle` (docs/protocol.md): it says in its
// `hello` that it confirms offers (`offer.received`, so an offer that never reached the
// phone goes on to the next vehicle at once), answers offers, sets the duty status, says it
// has arrived, and — when it is the crew's phone that reports positions — sends the fix
// queue (field-gps.js).
//
// Fixes go in order, at a rate the socket's input bound accepts: a batch of at most
// BATCH fixes, then a `ping`; the engine answers the `pong` only once every fix sent before
// it is taken, so the batch leaves the queue then and the next one goes. A batch whose
// socket dropped before its `pong` is sent again after the reconnect (fixes the engine
// already took come back `fix_out_of_order` and are dropped: the queue never reorders).
// The engine's bound is a token bucket it states in its `hello` (`limits`); the page keeps
// a mirror of it (Allowance) and waits before a batch the bucket could not take, so a long
// backlog goes as fast as the socket allows and never gets the phone cut off as flooding.
//
// Reconnects back off; close 4001 (token revoked) is final; close 1008 "replaced by a newer
// connection" means this same sign-in opened the vehicle on another tab or phone: the page
// says so instead of taking it back, or the two would evict each other forever.
import { SIGNED_OUT } from './stream.js';

const BATCH = 500;
/** Frames besides fixes (pings, answers) the mirror keeps room for. */
const MARGIN = 16;
/** The engine's defaults, for an engine whose `hello` states no limits. */
const DEFAULT_LIMITS = { max_fixes_per_s: 20, max_fix_burst: 10000, max_batch_fixes: 1000 };

/** The socket's token bucket as the engine keeps it: full at connect, refilled at `rate`. */
class Allowance {
  constructor(limits) {
    this.rate = Math.max(1, limits.max_fixes_per_s);
    this.burst = Math.max(1, limits.max_fix_burst);
    this.batch = Math.max(1, Math.min(BATCH, limits.max_batch_fixes, Math.floor((this.burst - MARGIN) / 2) || 1));
    this.level = this.burst;
    this.at = Date.now();
  }

  refill() {
    const now = Date.now();
    this.level = Math.min(this.burst, this.level + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }

  spend(n) {
    this.refill();
    this.level -= n;
  }

  /** Milliseconds before `n` fixes may go. */
  wait(n) {
    this.refill();
    const short = n + MARGIN - this.level;
    return short <= 0 ? 0 : Math.ceil((short / this.rate) * 1000);
  }
}
const KEEPALIVE_MS = 10000;
/** Nothing heard for this long: the connection is dead even if the phone has not noticed. */
const DEAD_MS = 25000;
const FIX_ERRORS = new Set(['fix_rejected', 'bad_position', 'bad_batch', 'not_position_reporter']);

export class VehicleLink {
  /**
   * @param {string} token
   * @param {import('./field-gps.js').FixQueue} queue
   * @param {object} on hello, offer, cancelled, answered, ticket, reporting, state, fixError
   */
  constructor(token, queue, on) {
    this.token = token;
    this.queue = queue;
    this.on = on;
    this.ws = null;
    this.failures = 0;
    this.stopped = false;
    this.reportsPositions = false;
    /** One entry per `ping` not yet answered: how many queued fixes it covers. */
    this.pings = [];
    this.inFlight = 0;
    this.pending = [];
    this.allowance = new Allowance(DEFAULT_LIMITS);
    queue.onChange(() => this.flush());
  }

  connect() {
    if (this.stopped) return;
    this.on.state(this.failures ? 'reconnecting' : 'connecting');
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/ws/vehicle?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.failures = 0;
      this.heard = Date.now();
      ws.send(JSON.stringify({ type: 'hello', capabilities: ['offer.received'] }));
      this.keepalive = setInterval(() => {
        if (Date.now() - this.heard > DEAD_MS) { ws.close(); this.closed(ws, { code: 1006 }); return; }
        if (!this.inFlight) this.ping(0);
      }, KEEPALIVE_MS);
    };
    ws.onmessage = (ev) => { this.heard = Date.now(); this.receive(ev.data); };
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  closed(ws, ev) {
    if (this.ws !== ws) return;
    clearInterval(this.keepalive);
    this.ws = null;
    this.pings = [];
    this.inFlight = 0;
    this.queue.unsent();
    for (const p of this.pending.splice(0)) p.reject(Object.assign(new Error('connection lost'), { code: 'network' }));
    if (ev.code === SIGNED_OUT) { this.stopped = true; this.on.state('signed_out'); return; }
    if (ev.code === 1008 && /replaced/.test(ev.reason || '')) { this.stopped = true; this.on.state('replaced'); return; }
    if (this.stopped) return;
    this.failures += 1;
    this.on.state('reconnecting');
    this.timer = setTimeout(() => this.connect(), Math.min(10000, 500 * 2 ** Math.min(this.failures, 5)));
  }

  receive(text) {
    let f;
    try { f = JSON.parse(text); } catch { return; }
    switch (f.type) {
      case 'hello':
        // A fresh socket has a full bucket.
        this.allowance = new Allowance(f.limits || DEFAULT_LIMITS);
        this.reportsPositions = f.reports_positions !== false;
        this.on.state('live');
        this.on.hello(f);
        this.flush();
        break;
      case 'offer':
        this.send({ type: 'offer.received', offer_id: f.offer_id });
        this.on.offer(f);
        break;
      case 'offer.cancelled': this.on.cancelled(f); break;
      case 'offer.answered': this.on.answered(f); break;
      case 'ticket.updated': this.on.ticket(f); break;
      case 'reporting':
        this.reportsPositions = !!f.reports_positions;
        this.on.reporting(this.reportsPositions);
        this.flush();
        break;
      case 'pong': {
        const covered = this.pings.shift() || 0;
        if (covered) {
          this.queue.drop(covered);
          this.inFlight = 0;
          this.flush();
        }
        break;
      }
      case 'ack': {
        const i = this.pending.findIndex((p) => p.request === f.request);
        if (i >= 0) this.pending.splice(i, 1)[0].resolve(f);
        break;
      }
      case 'error':
        if (FIX_ERRORS.has(f.code) || f.rejected) {
          if (f.code === 'not_position_reporter') this.reportsPositions = false;
          this.on.fixError(f);
        } else if (this.pending.length) {
          this.pending.shift().reject(Object.assign(new Error(f.message), { code: f.code }));
        }
        break;
      default: break; // group frames come on the field stream too
    }
  }

  send(frame) {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    this.allowance.spend(frame.type === 'position' ? frame.fixes.length : 1);
    return true;
  }

  ping(covers) {
    if (this.send({ type: 'ping' })) this.pings.push(covers);
  }

  /** Sends the head of the fix queue when this phone reports positions and nothing is in flight. */
  flush() {
    if (this.inFlight || !this.reportsPositions || !this.queue.length) return;
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    const n = Math.min(this.allowance.batch, this.queue.length);
    const wait = this.allowance.wait(n);
    if (wait > 0) {
      clearTimeout(this.paced);
      this.paced = setTimeout(() => this.flush(), wait);
      return;
    }
    const batch = this.queue.take(n);
    this.send({ type: 'position', fixes: batch });
    this.inFlight = batch.length;
    this.ping(batch.length);
  }

  /** A request answered by an `ack` (or refused by an `error`). */
  request(frame, request) {
    return new Promise((resolve, reject) => {
      if (!this.send(frame)) { reject(Object.assign(new Error('not connected'), { code: 'not_connected' })); return; }
      this.pending.push({ request, resolve, reject });
    });
  }

  accept(offerId) { return this.request({ type: 'offer.accept', offer_id: offerId }, 'offer.accept'); }
  decline(offerId, reason) { return this.request({ type: 'offer.decline', offer_id: offerId, reason }, 'offer.decline'); }
  arrived() { return this.request({ type: 'arrived' }, 'arrived'); }
  setStatus(status) { return this.request({ type: 'status', status }, 'status'); }

  /** Takes the vehicle back after another tab or phone of the same sign-in replaced this one. */
  resume() {
    this.stopped = false;
    this.failures = 0;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}
