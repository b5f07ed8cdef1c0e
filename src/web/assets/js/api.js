// The HTTP API as the pages use it: a bearer token, JSON in and out, errors as
// `ApiError { status, code, message, details }`.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || 'http_error';
    this.details = body?.details;
  }
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
