// The phone's position (`watchPosition`) as fixes for `/ws/vehicle`, and the queue that keeps
// them in order while the network is poor or gone.
//
// Every fix goes into the queue first; the vehicle socket takes from its head
// (field-vehicle.js). The queue lives in localStorage, so fixes taken in a dead zone survive
// the page being closed. It keeps at most one fix a second (the latest of that second wins:
// the engine only needs where the vehicle is, and its socket thins anything faster) and at
// most MAX_FIXES; past that the older half is thinned to every other fix, so a long gap
// still leaves the route's shape and the queue stays within the socket's burst allowance
// (`fleet.max_fix_burst`, 10,000 by default).

export const MAX_FIXES = 3000;
const MIN_GAP_MS = 1000;

export class FixQueue {
  /** @param {string} key where in localStorage (per vehicle) */
  constructor(key) {
    this.key = key;
    try { this.items = JSON.parse(localStorage.getItem(key) || '[]'); } catch { this.items = []; }
    if (!Array.isArray(this.items)) this.items = [];
    this.listeners = new Set();
    /** How many fixes at the head are on their way (not merged or thinned away meanwhile). */
    this.sending = 0;
  }

  get length() { return this.items.length; }

  onChange(f) { this.listeners.add(f); }

  push(fix) {
    const last = this.items.at(-1);
    if (last && Date.parse(fix.ts) < Date.parse(last.ts)) return; // the phone's clock went back: keep the order
    if (last && Date.parse(fix.ts) - Date.parse(last.ts) < MIN_GAP_MS && this.sending < this.items.length) {
      this.items[this.items.length - 1] = fix;
    } else {
      this.items.push(fix);
    }
    if (this.items.length > MAX_FIXES) this.thin();
    this.save();
  }

  /** Drops every other fix of the older half (never one being sent). */
  thin() {
    const half = Math.floor(this.items.length / 2);
    const from = this.sending;
    const kept = this.items.slice(from, half).filter((_, i) => i % 2 === 0);
    this.items = [...this.items.slice(0, from), ...kept, ...this.items.slice(half)];
  }

  /** The first `n` fixes, marked as being sent (they are not merged or thinned away). */
  take(n) {
    const batch = this.items.slice(0, n);
    this.sending = batch.length;
    return batch;
  }

  /** The first `n` fixes were taken by the engine. */
  drop(n) {
    this.items.splice(0, n);
    this.sending = 0;
    this.save();
  }

  /** The fixes being sent were not answered (the socket dropped): they go again. */
  unsent() { this.sending = 0; }

  clear() {
    this.items = [];
    this.sending = 0;
    this.save();
  }

  save() {
    try { localStorage.setItem(this.key, JSON.stringify(this.items)); } catch { /* storage full: memory only */ }
    for (const f of this.listeners) f(this.items.length);
  }
}

/** The phone's position as a fix (`speed_kmh` and `heading` only when the phone knows them). */
export function fixOf(pos) {
  const c = pos.coords;
  const fix = { lat: c.latitude, lng: c.longitude, ts: new Date(pos.timestamp || Date.now()).toISOString() };
  if (Number.isFinite(c.speed) && c.speed >= 0) fix.speed_kmh = Math.min(300, c.speed * 3.6);
  if (Number.isFinite(c.heading) && c.heading >= 0 && c.heading <= 360) fix.heading = c.heading;
  return fix;
}

/** `watchPosition` while started: every position to `onFix`, failures to `onError`. */
export class Gps {
  constructor(onFix, onError) {
    this.onFix = onFix;
    this.onError = onError;
    this.watch = null;
    this.last = null;
  }

  get on() { return this.watch !== null; }

  start() {
    if (this.watch !== null) return;
    if (!('geolocation' in navigator)) { this.onError({ code: 'unsupported' }); return; }
    this.watch = navigator.geolocation.watchPosition(
      (pos) => { this.last = { ...fixOf(pos), accuracy: pos.coords.accuracy }; this.onFix(fixOf(pos), pos.coords.accuracy); },
      (err) => this.onError({ code: err.code === 1 ? 'denied' : err.code === 3 ? 'timeout' : 'unavailable' }),
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 },
    );
  }

  stop() {
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
  }
}
