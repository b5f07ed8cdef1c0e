// The reviewer sees the files the report was submitted with: a photo uploaded by the
// ticket's vehicle (a real JPEG drawn by the browser, with EXIF time and GPS spliced in)
// shows in the review form as a thumbnail fetched with the console's token, with its kind,
// short hash, size, who and when, the "on the report" mark and what the photo says of
// itself; a document shows as a download. The report's own evidence list names the file by
// hash. The English switch translates the panel.
import { join } from 'node:path';
import { until, ADMIN } from '../lib.mjs';
import { openConsole } from '../lib.mjs';

/** An EXIF APP1 segment (big-endian TIFF) with DateTimeOriginal and a GPS position. */
function exifApp1(taken, lat, lng) {
  const t = [];
  const u16 = (v) => t.push((v >> 8) & 255, v & 255);
  const u32 = (v) => t.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const entry = (tag, type, count, value) => { u16(tag); u16(type); u32(count); u32(value); };
  t.push(0x4d, 0x4d, 0, 0x2a); u32(8);
  u16(2); entry(0x8769, 4, 1, 38); entry(0x8825, 4, 1, 76); u32(0);
  u16(1); entry(0x9003, 2, 20, 56); u32(0);
  const date = Buffer.alloc(20); date.write(taken, 'ascii'); t.push(...date);
  u16(4);
  entry(1, 2, 2, 0x4e000000); entry(2, 5, 3, 130); entry(3, 2, 2, 0x45000000); entry(4, 5, 3, 154); u32(0);
  for (const v of [lat, lng]) {
    const deg = Math.trunc(v); const min = Math.trunc((v - deg) * 60); const sec = Math.round(((v - deg) * 60 - min) * 60 * 1000);
    u32(deg); u32(1); u32(min); u32(1); u32(sec); u32(1000);
  }
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), Buffer.from(t)]);
  const head = Buffer.from([0xff, 0xe1, ((body.length + 2) >> 8) & 255, (body.length + 2) & 255]);
  return Buffer.concat([head, body]);
}

async function upload(base, id, token, kind, type, bytes) {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([bytes], { type }), 'upload');
  const res = await fetch(`${base}/api/v1/tickets/${id}/evidence`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: form });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-E', name: '执法取证中队', department: 'enforcement' });
  await api.post('/staff', ADMIN, { id: 'S-E1', name: '市管员丁', role: 'inspector', department: 'enforcement', team_id: 'T-E', badge: 'ZM-0911' });
  await api.post('/vehicles', ADMIN, { id: 'V-E1', plate: '鄂J·E0001', team_id: 'T-E', department: 'enforcement', crew: ['S-E1'] });
  const dispatcher = await api.token('dispatcher', null);
  const field = await api.token('field', 'vehicle:V-E1');
  const guide = await api.get('/catalog/counterfeit', dispatcher);
  const tk = await api.post('/tickets', dispatcher, {
    source: '12313', external_id: 'EV-B1', kind: 'report', description: '梅川镇烟酒店疑似销售假冒卷烟（取证）',
    address_text: '梅川镇正街18号', category: 'counterfeit', urgency: 'III', location: { lat: 30.021, lng: 115.586 },
  });
  await api.post(`/tickets/${tk.id}/triage`, dispatcher, {});
  await api.post(`/tickets/${tk.id}/dispatch`, dispatcher, { vehicle_id: 'V-E1', assign: true });
  await api.post(`/tickets/${tk.id}/arrive`, field, {});

  // A real JPEG, drawn by the browser, with the photo's own time and place spliced in.
  const draw = await browser.context.newPage();
  const drawn = await draw.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 320; c.height = 240;
    const g = c.getContext('2d');
    g.fillStyle = '#8b5a2b'; g.fillRect(0, 0, 320, 240);
    g.fillStyle = '#f5deb3'; g.fillRect(40, 60, 240, 120);
    g.fillStyle = '#c0392b'; g.fillRect(60, 90, 60, 60); g.fillRect(140, 90, 60, 60);
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.9));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  await draw.close();
  const jpeg = Buffer.from(drawn);
  const photo = Buffer.concat([jpeg.subarray(0, 2), exifApp1('2026:12:07 14:02:11', 30.0212, 115.5862), jpeg.subarray(2)]);
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n');
  const up = await upload(engine.base, tk.id, field, 'photo', 'image/jpeg', photo);
  const doc = await upload(engine.base, tk.id, field, 'inspection_record', 'application/pdf', pdf);
  await api.post(`/tickets/${tk.id}/onsite-record`, field, {
    findings: '柜台下查见疑似假冒中华 3 条', actions: '先行登记保存',
    evidence: [{ kind: 'photo', sha256: up.sha256, note: '柜台' }, { kind: 'inspection_record', sha256: doc.sha256 }],
  });
  const sections = Object.fromEntries(guide.report_sections.map((k) => [k, `取证${k}`]));
  const evidence = guide.report_evidence.map((kind) => ({ kind, reference: `ref-${kind}` }));
  await api.post(`/tickets/${tk.id}/report`, field, { sections, evidence: [...evidence, { kind: 'photo', sha256: up.sha256 }] });

  const page = await openConsole(browser, engine.base, dispatcher, errors);
  await check('the review form shows the report\'s photo as a thumbnail with its kind, hash, size, who and when', async () => {
    await page.click(`.queue-item[data-number="${tk.number}"]`);
    await page.waitForSelector(`.detail-number:text-is("${tk.number}")`);
    await page.click('[data-tab="actions"]');
    const item = page.locator(`.review-split .review-report .evidence-file[data-sha256="${up.sha256}"]`);
    await item.waitFor({ timeout: 30000 });
    const thumb = item.locator('img.evidence-thumb');
    await until(async () => (await thumb.getAttribute('src'))?.startsWith('blob:'), 'the thumbnail fetched with the token');
    await until(async () => thumb.evaluate((img) => img.complete && img.naturalWidth === 320), 'the thumbnail decoded');
    const text = await item.textContent();
    assert(text.includes('照片'), `the kind: ${text}`);
    assert(text.includes(up.sha256.slice(0, 12)), `the short hash: ${text}`);
    assert(text.includes(`${(photo.length / 1024).toFixed(1)} KB`), `the size: ${text}`);
    assert(text.includes('vehicle:V-E1'), `who: ${text}`);
    assert(text.includes('已列入报告'), `on the report: ${text}`);
    assert(text.includes('照片自带时间 2026-12-07 14:02:11') && /距现场 \d+ 米/.test(text), `what the photo says of itself: ${text}`);
    const docItem = page.locator(`.review-report .evidence-file[data-sha256="${doc.sha256}"] a.evidence-download`);
    await until(async () => (await docItem.getAttribute('href'))?.startsWith('blob:'), 'the document\'s download');
    const listed = await page.textContent('.review-report .report-current .evidence');
    assert(listed.includes(up.sha256.slice(0, 12)), `the report names the file by hash: ${listed}`);
    assert(await page.locator('.review-forms [data-act="review-pass"]').isVisible(), 'the review form beside it');
    await page.screenshot({ path: join(OUT, 'review-evidence.png') });
  });

  await check('the evidence panel follows the English switch', async () => {
    await page.click('#lang');
    await until(async () => (await page.textContent('.review-report .evidence-files h5')) === 'Evidence files', 'English');
    const text = await page.textContent(`.review-report .evidence-file[data-sha256="${up.sha256}"]`);
    assert(text.includes('On the report') && text.includes('uploaded by vehicle:V-E1'), `in English: ${text}`);
    await page.click('#lang');
  });
  await page.close();
}
