// The HTTP API as the pages use it: a bearer token, JSON in and out, errors as
// `ApiError { status, code, message, details }` with the message in the page's language
// (`errorText`: the engine's code looked up in i18n.js; the engine's own English wording is
// kept as `engineMessage`).
import { t, name, lang } from './i18n.js';

export class ApiError extends Error {
  constructor(status, body) {
    const code = body?.code || 'http_error';
    super(errorText({ code, status, details: body?.details }));
    this.status = status;
    this.code = code;
    this.details = body?.details;
    this.engineMessage = body?.message || `HTTP ${status}`;
  }
}

/**
 * What to show for an error of the engine (an ApiError, or a console command frame's
 * refusal): the message for its code in the page's language, with the parts its details name
 * (the status it is in, what a report lacks, the allowed values); an unknown code gets a
 * general message naming the code.
 */
export function errorText(e) {
  const code = e?.code;
  if (!code) return t('err.unknown', { code: '—' });
  const key = `err.${code}`;
  const d = e.details || {};
  const sep = lang() === 'en' ? ', ' : '、';
  let text = t(key, { status: d.status ? name('status', d.status) : '' });
  if (text === key) return t('err.unknown', { code });
  if (Array.isArray(d.missing) && d.missing.length) {
    const what = d.missing.map((m) => (String(m).startsWith('evidence:') ? name('evidence', m.slice(9)) : name('section', m)));
    text += `${lang() === 'en' ? ': ' : '：'}${what.join(sep)}`;
  }
  return text;
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async request(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, { code: 'network', message: String(e) });
    }
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!res.ok) throw new ApiError(res.status, json);
    return json;
  }

  get(path) { return this.request('GET', path); }
  post(path, body = {}) { return this.request('POST', path, body); }
}

/** Query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Tokens: the console and stats keep theirs in sessionStorage (one tab, gone when it
// closes); the hall screen keeps the board token in localStorage (entered once).
const SESSION_KEY = 'hd.token';
const BOARD_KEY = 'hd.boardToken';

export const tokens = {
  staff: () => sessionStorage.getItem(SESSION_KEY),
  setStaff: (t) => sessionStorage.setItem(SESSION_KEY, t),
  clearStaff: () => sessionStorage.removeItem(SESSION_KEY),
  board: () => new URLSearchParams(location.search).get('token') || localStorage.getItem(BOARD_KEY),
  setBoard: (t) => localStorage.setItem(BOARD_KEY, t),
  clearBoard: () => localStorage.removeItem(BOARD_KEY),
};

/**
 * Shows the sign-in dialog (`#signin`) until `check(token)` accepts a token; resolves with
 * it. `check` throws an ApiError for a bad token or a role that may not use the page.
 */
export function signIn(dialog, check) {
  return new Promise((resolve) => {
    const form = dialog.querySelector('form');
    const input = dialog.querySelector('input');
    const error = dialog.querySelector('.signin-error');
    dialog.hidden = false;
    input.focus();
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      error.textContent = '';
      try {
        await check(token);
        dialog.hidden = true;
        input.value = '';
        resolve(token);
      } catch (e) {
        error.textContent = e.message;
      }
    };
  });
}
