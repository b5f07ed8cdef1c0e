// Harness of the browser tests: the real engine binary on port 0 with a temp store, an HTTP
// client, vehicle clients on `/ws/vehicle` (npm `ws`), and headless Debian chromium driven
// by playwright-core with a fresh profile.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { chromium } from 'playwright-core';

export const ADMIN = 'browser-test-admin-token';

/**
 * Starts `hotline-dispatch serve`; resolves once it logged its address. With `tls`, the
 * engine serves HTTPS and WSS with a certificate of its own `gen-cert` for localhost and
 * 127.0.0.1; the answer then carries `ca` (the certificate's PEM, to trust it). `env`: more
 * `APP__` settings.
 */
export async function startEngine(bin, { tls = false, env: settings = {} } = {}) {
  if (!bin || !existsSync(bin)) throw new Error(`engine binary not found: ${bin} (build it: cargo build)`);
  const dir = mkdtempSync(join(tmpdir(), 'hd-browser-'));
  const env = { ...process.env, ...settings };
  delete env.RUST_LOG;
  let ca;
  if (tls) {
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(bin, ['gen-cert', 'localhost', '127.0.0.1', '--cert', cert, '--key', key], { stdio: 'ignore' });
    env.APP__SERVER__TLS_CERT = cert;
    env.APP__SERVER__TLS_KEY = key;
    ca = readFileSync(cert, 'utf8');
  }
  const child = spawn(bin, ['serve'], {
    env: {
      ...env,
      APP__SERVER__HOST: '127.0.0.1',
      APP__SERVER__PORT: '0',
      APP__STORE__PATH: join(dir, 'store'),
      APP__STORE__CACHE_CAPACITY_MB: '32',
      APP__AUTH__BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      APP__LOG__FORMAT: 'json',
      APP__LOG__LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = [];
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start:\n${log.join('\n')}`)), 60000);
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.push(line);
      try {
        const rec = JSON.parse(line);
        const addr = rec.fields?.addr || rec.addr;
        if (addr && /listening/.test(rec.fields?.message || rec.message || '')) { clearTimeout(timer); resolve(`${tls ? 'https' : 'http'}://${addr}`); }
      } catch { /* not JSON */ }
    });
    createInterface({ input: child.stdout }).on('line', (line) => log.push(line));
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`engine exited (${code}):\n${log.join('\n')}`)); });
  });
  return {
    base,
    log,
    ca,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => { if (child.exitCode !== null) r(); else child.on('exit', r); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An HTTPS request trusting `ca`: `{ status, ok, text() }` like a fetch answer. */
export function fetchTrusting(ca, url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, ok: res.statusCode >= 200 && res.statusCode < 300, text: async () => text, json: async () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

/** JSON over HTTP with a bearer token; throws on an unexpected status. `ca` for HTTPS. */
export function http(base, ca) {
  const call = async (method, path, token, body, expect) => {
    const init = {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    };
    const res = ca ? await fetchTrusting(ca, `${base}/api/v1${path}`, init) : await fetch(`${base}/api/v1${path}`, init);
    const text = await res.text();
    const json = text ? JSON.parse(text) : null;
    if (expect ? !expect.includes(res.status) : !res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return json;
  };
  return {
    get: (path, token) => call('GET', path, token),
    post: (path, token, body = {}, expect) => call('POST', path, token, body, expect),
    async token(role, subject) {
      return (await call('POST', '/tokens', ADMIN, { role, subject })).token;
    },
    /** Issues a token; resolves with `{ id, token }` (to revoke it later). */
    issue: (role, subject) => call('POST', '/tokens', ADMIN, { role, subject }),
    revoke: (id) => call('DELETE', `/tokens/${id}`, ADMIN),
  };
}

/** A vehicle app on `/ws/vehicle`: sends fixes and answers, records every frame it gets. */
export class VehicleClient {
  constructor(base, token) {
    this.frames = [];
    this.waiters = [];
    this.ws = new WebSocket(`${base.replace('http', 'ws')}/ws/vehicle?token=${encodeURIComponent(token)}`);
    this.ws.on('message', (data) => {
      const f = JSON.parse(String(data));
      this.frames.push(f);
      this.waiters = this.waiters.filter((w) => !(w.pred(f) && (w.resolve(f), true)));
    });
    this.open = new Promise((resolve, reject) => { this.ws.once('open', resolve); this.ws.once('error', reject); });
  }

  send(frame) { this.ws.send(JSON.stringify(frame)); }
  position(lat, lng) { this.send({ type: 'position', lat, lng, speed_kmh: 40, heading: 90 }); }

  /** The first frame (seen or to come) that matches. */
  next(pred, what, ms = 30000) {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`vehicle never got ${what}; got ${JSON.stringify(this.frames.map((f) => f.type))}`)), ms);
      this.waiters.push({ pred, resolve: (f) => { clearTimeout(timer); resolve(f); } });
    });
  }

  close() { this.ws.close(); }
}

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless chromium with a fresh profile directory. */
export async function launchBrowser(executablePath) {
  if (!existsSync(executablePath)) throw new Error(`chromium not found at ${executablePath} (apt-get install chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'hd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1600, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A console page (1600×1000) signed in with `token` and live; its script errors go to
 * `errors`, and confirmation dialogs are accepted.
 */
export async function openConsole(browser, base, token, errors) {
  const page = await browser.context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => d.accept());
  await page.setViewportSize({ width: 1600, height: 1000 });
  await page.goto(`${base}/console`);
  await page.fill('#signin input', token);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 30000 });
  return page;
}

/** Polls `f` until it returns a truthy value. */
export async function until(f, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await f(); if (last) return last; } catch (e) { last = e; }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

export function artifacts(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}
