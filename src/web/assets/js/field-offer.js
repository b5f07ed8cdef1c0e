// An offer rings: it covers the page with the category, town, distance, ETA and a countdown
// to its expiry, beeps (Web Audio, once the page has been touched: browsers allow sound only
// after a gesture) and vibrates where the phone allows, until it is accepted, declined with
// a reason from the list, withdrawn, answered on another crew phone, or expired.
import { t, name, categoryName } from './i18n.js';
import { distance, shortDuration } from './format.js';

export const DECLINE_REASONS = ['busy', 'too_far', 'breakdown', 'short_handed', 'other'];

let audio = null;
/** Unlocks sound on the first touch (browsers keep audio off until a gesture). */
export function unlockSound() {
  const unlock = () => {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      audio.resume?.();
    } catch { audio = null; }
  };
  window.addEventListener('pointerdown', unlock, { once: true, capture: true });
  window.addEventListener('keydown', unlock, { once: true, capture: true });
}

function beep() {
  if (!audio || audio.state !== 'running') return;
  const now = audio.currentTime;
  for (const [at, freq] of [[0, 880], [0.25, 1175], [0.5, 880]]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.25, now + at);
    gain.gain.exponentialRampToValueAtTime(0.001, now + at + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + at);
    osc.stop(now + at + 0.23);
  }
}

export class OfferRing {
  /**
   * @param {HTMLElement} el `#offer`
   * @param {{accept: Function, decline: Function, catalog: Function}} actions
   */
  constructor(el, actions) {
    this.el = el;
    this.actions = actions;
    this.offer = null;
    el.querySelector('[data-act="accept"]').onclick = () => this.accept();
    el.querySelector('[data-act="decline"]').onclick = () => this.askReason();
    const form = el.querySelector('.decline-form');
    form.reason.onchange = () => { form.other.hidden = form.reason.value !== 'other'; };
    form.onsubmit = (ev) => { ev.preventDefault(); this.decline(); };
  }

  get ringing() { return !!this.offer; }

  show(offer) {
    this.offer = offer;
    this.el.dataset.offerId = offer.offer_id;
    this.el.querySelector('.decline-form').hidden = true;
    this.el.querySelector('.offer-actions').hidden = false;
    this.el.querySelector('.offer-error').textContent = '';
    this.render();
    this.el.hidden = false;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(), 1000);
    this.tick();
    this.ring();
  }

  render() {
    const o = this.offer;
    if (!o) return;
    const tk = o.ticket;
    const category = (tk.category && categoryName(tk.category, this.actions.catalog())) || tk.category_name || t('field.uncategorised');
    this.el.querySelector('.offer-what').innerHTML = '';
    const grade = document.createElement('span');
    grade.className = `badge grade-${tk.urgency || 'IV'}`;
    grade.textContent = name('grade', tk.urgency);
    this.el.querySelector('.offer-what').append(grade, ` ${category}`);
    const where = [tk.town || o.location?.address_text || '', o.distance_m != null ? distance(o.distance_m) : ''].filter(Boolean);
    this.el.querySelector('.offer-where').textContent = where.join(' · ');
    this.el.querySelector('.offer-eta').textContent = o.eta_s != null ? t('field.offer_eta', { t: shortDuration(o.eta_s) }) : '';
    const form = this.el.querySelector('.decline-form');
    form.reason.innerHTML = DECLINE_REASONS.map((r) => `<option value="${r}">${t(`field.decline.${r}`)}</option>`).join('');
    form.other.hidden = form.reason.value !== 'other';
  }

  tick() {
    if (!this.offer) return;
    const left = Math.max(0, Math.round((Date.parse(this.offer.expires_at) - Date.now()) / 1000));
    this.el.querySelector('.offer-countdown').textContent = t('field.offer_countdown', { s: left });
    if (left <= 0) this.hide('expired');
  }

  ring() {
    clearInterval(this.ringer);
    const once = () => {
      beep();
      navigator.vibrate?.([400, 200, 400]);
    };
    once();
    this.ringer = setInterval(once, 2500);
  }

  askReason() {
    this.el.querySelector('.offer-actions').hidden = true;
    this.el.querySelector('.decline-form').hidden = false;
  }

  async accept() {
    const o = this.offer;
    if (!o) return;
    try {
      await this.actions.accept(o);
      this.hide('accepted');
    } catch (e) {
      this.el.querySelector('.offer-error').textContent = e.message;
    }
  }

  async decline() {
    const o = this.offer;
    if (!o) return;
    const form = this.el.querySelector('.decline-form');
    const code = form.reason.value;
    const reason = code === 'other' ? form.other.value.trim() || t('field.decline.other') : t(`field.decline.${code}`);
    try {
      await this.actions.decline(o, reason);
      this.hide('declined');
    } catch (e) {
      this.el.querySelector('.offer-error').textContent = e.message;
    }
  }

  /** Stops ringing; `why` is shown as a toast by the caller when it matters. */
  hide(why) {
    const had = this.offer;
    this.offer = null;
    clearInterval(this.timer);
    clearInterval(this.ringer);
    navigator.vibrate?.(0);
    this.el.hidden = true;
    delete this.el.dataset.offerId;
    if (had && this.onHidden) this.onHidden(had, why);
  }
}
