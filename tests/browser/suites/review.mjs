// The console tells its reader the truth about a ticket's paperwork and its end: the
// reviewer reads the report as submitted (sections, evidence, the on-site record, the
// earlier version and why it was returned) beside the review form; the reply box starts
// from the guide's draft (no doubled "。"); archived, transferred and merged tickets are
// found by the status filter and the search, an archived one reopened and an open one
// transferred from the detail; return-visit comments and reopens are labelled in the
// timeline; engine errors, the grade I alert's reason, event names and category names are
// shown in the page's language, both ways.
import { join } from 'node:path';
import { until, ADMIN, openConsole } from '../lib.mjs';

export default async function ({ engine, api, browser, check, assert, errors, OUT }) {
  await api.post('/teams', ADMIN, { id: 'T-R', name: '执法审查中队', department: 'enforcement' });
  await api.post('/staff', ADMIN, { id: 'S-R1', name: '市管员丙', role: 'inspector', department: 'enforcement', team_id: 'T-R', badge: 'ZM-0901' });
  await api.post('/vehicles', ADMIN, { id: 'V-R1', plate: '鄂J·R0001', team_id: 'T-R', department: 'enforcement', crew: ['S-R1'] });
  const dispatcher = await api.token('dispatcher', null);
  const supervisor = await api.token('supervisor', null);
  const field = await api.token('field', 'vehicle:V-R1');
  const guide = await api.get('/catalog/counterfeit', dispatcher);
  const intake = (ext, extra = {}) => api.post('/tickets', dispatcher, {
    source: '12313', external_id: ext, kind: 'report', description: `梅川镇烟酒店疑似销售假冒卷烟（${ext}）`,
    address_text: '梅川镇正街18号', category: 'counterfeit', urgency: 'III', location: { lat: 30.021, lng: 115.586 }, ...extra,
  });
  const status = async (id) => (await api.get(`/tickets/${id}`, dispatcher)).status;

  // A ticket through the site visit, a first report returned for missing evidence, and a
  // second version: now in review.
  const tk = await intake('RV-1');
  await api.post(`/tickets/${tk.id}/triage`, dispatcher, {});
  await api.post(`/tickets/${tk.id}/dispatch`, dispatcher, { vehicle_id: 'V-R1', assign: true });
  await api.post(`/tickets/${tk.id}/arrive`, field, {});
  await api.post(`/tickets/${tk.id}/onsite-record`, field, {
    findings: '柜台下查见疑似假冒中华 3 条', actions: '先行登记保存',
    evidence: [{ kind: 'photo', reference: 'att-photo-1', note: '柜台' }, { kind: 'inspection_record', reference: 'att-insp-1' }],
  });
  const sections = Object.fromEntries(guide.report_sections.map((k) => [k, `第一版${k}`]));
  const firstEvidence = guide.report_evidence.filter((k) => k !== 'statement').map((kind) => ({ kind, reference: `v1-${kind}` }));
  await api.post(`/tickets/${tk.id}/report`, field, { sections, evidence: firstEvidence }, [422]);
  await api.post(`/tickets/${tk.id}/report`, field, { sections, evidence: [...firstEvidence, { kind: 'statement', reference: 'v1-statement' }] });
  await api.post(`/tickets/${tk.id}/review`, dispatcher, { decision: 'return', reasons: [{ code: 'facts_unclear', note: '货值未写明' }] });
  await api.post(`/tickets/${tk.id}/report`, field, {
    sections: { ...sections, conclusion: '举报属实，查获假冒中华 3 条，货值 1200 元。' },
    evidence: [{ kind: 'photo', reference: 'v2-photo-value' }],
  });
  assert(await status(tk.id) === 'in_review', 'in review');

  const page = await openConsole(browser, engine.base, dispatcher, errors);
  const open = async (number) => {
    await page.click(`.queue-item[data-number="${number}"]`);
    await page.waitForSelector(`.detail-number:text-is("${number}")`);
  };

  await check('the reviewer reads the report as submitted beside the review form, with the earlier version and why it was returned', async () => {
    await open(tk.number);
    await page.click('[data-tab="actions"]');
    const current = page.locator('.review-split .review-report .report-current[data-report-version="2"]');
    await current.waitFor({ timeout: 30000 });
    const text = await current.textContent();
    assert(text.includes('货值 1200 元'), 'the conclusion of version 2');
    assert(text.includes('结论') && text.includes('基本事实'), 'sections named in Chinese');
    assert(text.includes('v2-photo-value') && text.includes('v1-statement'), 'its evidence, carried over and new');
    assert(await current.locator('[data-section="conclusion"] .badge.changed').count() === 1, 'the changed section is marked');
    const site = await page.textContent('.review-report .onsite-record');
    assert(site.includes('柜台下查见疑似假冒中华 3 条') && site.includes('att-photo-1') && site.includes('先行登记保存'), 'the on-site record');
    const v1 = page.locator('.review-report .report-version[data-version="1"]');
    const summary = await v1.locator('summary').textContent();
    assert(summary.includes('事实不清') && summary.includes('货值未写明'), `the return reason of version 1: ${summary}`);
    await v1.locator('summary').click();
    assert((await v1.textContent()).includes('第一版conclusion'), 'version 1 as it was');
    const split = await page.locator('.review-split').boundingBox();
    const form = await page.locator('.review-forms').boundingBox();
    const report = await page.locator('.review-report').boundingBox();
    assert(form.x > report.x + report.width - 5 && Math.abs(form.y - report.y) < 40, `the form beside the report (${JSON.stringify({ split, form, report })})`);
    assert(await page.locator('.review-forms [data-act="review-pass"]').isVisible(), 'the pass button');
    await page.screenshot({ path: join(OUT, 'review-report.png') });
    await page.click('[data-tab="report"]');
    await page.waitForSelector('.tab-body .report-current[data-report-version="2"]');
  });

  await check('the reply box starts from the guide\'s draft, with no doubled full stop', async () => {
    await page.click('[data-tab="actions"]');
    await page.click('[data-act="review-pass"]');
    await until(async () => await status(tk.id) === 'in_approval', 'in approval');
    await api.post(`/tickets/${tk.id}/approval`, supervisor, { decision: 'approve', reasons: [] });
    await until(async () => (await page.inputValue('#reply-text').catch(() => '')).length > 0, 'the reply prefilled');
    const reply = await page.inputValue('#reply-text');
    assert(reply.includes(tk.number) && reply.includes('货值 1200 元'), `the draft: ${reply}`);
    assert(!reply.includes('。。'), `no doubled full stop: ${reply}`);
    await page.fill('#reply-text', `${reply}（已核对）`);
    await page.click('[data-act="reply"]');
    await until(async () => await status(tk.id) === 'awaiting_visit', 'answered');
  });

  // Closed tickets: TK archived after a visit with a comment; one transferred to the platform;
  // one merged into another.
  await api.post(`/tickets/${tk.id}/return-visit`, dispatcher, { satisfaction: 'basically_satisfied', comment: '希望加强巡查' });
  await api.post(`/tickets/${tk.id}/archive`, dispatcher, {});
  const away = await intake('RV-AWAY-77', { description: '武穴街道某超市疑似无证经营（RV-AWAY-77）', address_text: '武穴街道江堤路', location: { lat: 29.85, lng: 115.56 } });
  await api.post(`/tickets/${away.id}/transfer`, dispatcher, { to: 'platform', reason: '不属本单位职责' });
  const target = await intake('RV-T');
  const dup = await intake('RV-DUP');
  await api.post(`/tickets/${target.id}/merge`, dispatcher, { duplicate_id: dup.id });

  await check('closed tickets are found by the status filter and the search, and an archived one is reopened from the detail', async () => {
    await page.waitForSelector(`.queue-item[data-number="${tk.number}"]`, { state: 'detached', timeout: 30000 });
    const options = await page.$$eval('[data-filter="status"] option', (els) => els.map((o) => o.value));
    for (const s of ['archived', 'transferred', 'merged']) assert(options.includes(s), `status filter offers ${s}`);
    await page.selectOption('[data-filter="status"]', 'archived');
    await page.waitForSelector(`.queue-item[data-number="${tk.number}"]`, { timeout: 30000 });
    assert(await page.locator('.queue-item').count() === 1, 'only the archived ticket');
    await page.selectOption('[data-filter="status"]', 'merged');
    await page.waitForSelector(`.queue-item[data-number="${dup.number}"]`, { timeout: 30000 });
    await page.selectOption('[data-filter="status"]', '');
    for (const q of ['rv-away-77', away.number, '江堤路']) {
      await page.fill('[data-filter="text"]', q);
      await page.waitForSelector(`.queue-item[data-number="${away.number}"]`, { timeout: 30000 });
    }
    await open(away.number);
    await page.click('[data-tab="actions"]');
    assert((await page.textContent('.closed-note')).includes('退回 12313 平台'), 'where it went');
    await page.fill('[data-filter="text"]', tk.number);
    await open(tk.number);
    await page.click('[data-tab="timeline"]');
    await page.waitForSelector('.timeline .ev-ticket-return_visited');
    assert((await page.textContent('.timeline .ev-ticket-return_visited .ev-data')).includes('回访意见：希望加强巡查'), 'the visit comment is labelled');
    await page.click('[data-tab="actions"]');
    // No reason: the engine refuses, and says so in Chinese.
    await page.click('[data-act="reopen"]');
    const refused = await (await page.waitForSelector('.reopen-form .form-error')).textContent();
    assert(refused.includes('须填写原因') && !/[a-z]{4,}/i.test(refused), `a Chinese refusal: ${refused}`);
    await page.fill('#reopen-reason', '市民再次来电反映仍在销售');
    await page.selectOption('#reopen-to', 'reporting');
    await page.click('[data-act="reopen"]');
    await until(async () => await status(tk.id) === 'reporting', 'reopened to reporting');
    await page.fill('[data-filter="text"]', '');
    await page.waitForSelector(`.queue-item[data-number="${tk.number}"]`, { timeout: 30000 });
    await page.click('[data-tab="timeline"]');
    await page.waitForSelector('.timeline .ev-ticket-reopened');
    assert((await page.textContent('.timeline .ev-ticket-reopened .ev-data')).includes('重新办理原因：市民再次来电反映仍在销售'), 'the reopen is labelled');
    await page.screenshot({ path: join(OUT, 'review-closed.png') });
  });

  await check('a dispatcher transfers an open ticket out of the unit from the detail', async () => {
    await open(target.number);
    await page.click('[data-tab="actions"]');
    await page.selectOption('#transfer-to', 'other_unit');
    await page.fill('#transfer-unit', '黄梅县烟草专卖局');
    await page.fill('#transfer-reason', '经营地在黄梅县');
    await page.click('[data-act="transfer"]');
    await until(async () => await status(target.id) === 'transferred', 'transferred');
    await page.waitForSelector('.closed-note');
    assert((await page.textContent('.closed-note')).includes('黄梅县烟草专卖局'), 'the detail shows where it went');
    assert(await page.locator(`.queue-item[data-number="${target.number}"]`).count() === 0, 'it left the open queue');
  });

  await check('engine errors and the grade I alert are in Chinese; in English the header, events and errors are English', async () => {
    const alarm = await intake('RV-I', { category: 'unlicensed_transport', urgency: 'I', description: '一辆白色货车无证运输卷烟', location: { lat: 29.95, lng: 115.45 } });
    await page.waitForSelector(`#alert:not([hidden]) [data-alert-ticket="${alarm.id}"]`, { timeout: 30000 });
    await page.click('#alert [data-act="ack"]');
    await page.waitForSelector('#alert', { state: 'hidden' });
    await open(alarm.number);
    await page.click('[data-tab="timeline"]');
    await page.waitForSelector('.timeline .ev-alert .ev-data', { timeout: 30000 });
    const alerts = await page.$$eval('.timeline .ev-alert .ev-data', (els) => els.map((e) => e.textContent));
    assert(alerts.some((x) => x.includes('一级线索：快速通道')), `the fast track's reason: ${alerts}`);
    for (const x of alerts) assert(!/[a-z]{4,}/i.test(x), `an alert's reason in Chinese: ${x}`);
    const unknown = await page.evaluate(() => import('/assets/js/api.js').then((m) => m.errorText({ code: 'brand_new_code' })));
    assert(unknown.includes('brand_new_code') && /错误/.test(unknown), `an unknown code: ${unknown}`);

    await page.click('#lang');
    await page.waitForSelector('html[lang="en"]');
    await open(tk.number);
    assert((await page.textContent('.detail-category')).trim() === 'Counterfeit cigarettes', 'the category in English');
    await page.click('[data-tab="timeline"]');
    const names = await page.$$eval('.timeline li > strong', (els) => els.map((e) => e.textContent));
    for (const n of names) assert(!/[\u4e00-\u9fff]/.test(n) && !/^[a-z]+ [a-z]+$/.test(n), `an event named in English: ${n}`);
    assert(names.includes('Reopened') && names.includes('Return visit'), `events named: ${names}`);
    const data = await page.textContent('.timeline .ev-ticket-return_visited .ev-data');
    assert(data.includes('Visit comment: 希望加强巡查'), `labelled in English: ${data}`);
    await open(alarm.number);
    await page.click('[data-tab="timeline"]');
    await page.waitForSelector('.timeline .ev-alert .ev-data');
    const reasons = await page.$$eval('.timeline .ev-alert .ev-data', (els) => els.map((e) => e.textContent));
    assert(reasons.some((x) => x.includes('Grade I lead: fast track')), `the fast track's reason in English: ${reasons}`);
    for (const x of reasons) assert(!/[\u4e00-\u9fff]/.test(x), `an alert's reason in English: ${x}`);
    // A refused step in English.
    await open(tk.number);
    await page.click('[data-tab="actions"]');
    await page.fill('#transfer-reason', '');
    await page.click('[data-act="transfer"]');
    const refused = await (await page.waitForSelector('.transfer-form .form-error')).textContent();
    assert(/reason is required/i.test(refused) && !/[\u4e00-\u9fff]/.test(refused), `an English refusal: ${refused}`);
    await page.screenshot({ path: join(OUT, 'review-english.png') });
    await page.click('#lang');
  });

  await check("a grade I alert names its category in the page's language; the guide tab gives the time limits at the ticket's grade", async () => {
    await page.click('#lang');
    await page.waitForSelector('html[lang="en"]');
    const alarm = await intake('RV-I2', { category: 'unlicensed_transport', urgency: 'I', description: '一辆货车无证运输卷烟', location: { lat: 29.96, lng: 115.46 } });
    const cat = await (await page.waitForSelector(`#alert:not([hidden]) .alert-item[data-alert-key="${alarm.id}"] .alert-cat`, { timeout: 30000 })).textContent();
    assert(cat.trim() === 'Unlicensed transport', `the alert's category in English: ${cat}`);
    await page.click(`#alert .alert-item[data-alert-key="${alarm.id}"] [data-act="ack"]`);
    await open(alarm.number);
    await page.click('[data-tab="guide"]');
    const limits = await page.$$eval('.guide-limits tr', (rows) => rows.map((r) => [r.dataset.limitStage, r.querySelector('td').textContent]));
    const at = Object.fromEntries(limits);
    // The category's own grade I limits where the guide gives them, else the guide's.
    const guide = await api.get('/catalog', dispatcher);
    const c = guide.categories.find((x) => x.code === 'unlicensed_transport');
    const want = (c.sla && c.sla.I) || guide.sla_hours.I;
    for (const st of ['intake', 'on_site', 'report', 'total']) {
      assert(at[st] === String(want[st]), `grade I ${st} limit ${at[st]}, the guide says ${want[st]}: ${JSON.stringify(limits)}`);
    }
    assert((await page.textContent('#detail')).includes('Time limits (hours) · '), 'the limits are titled in English');
    await page.click('#lang');
    await page.waitForSelector('html[lang="zh-CN"]');
  });
  await page.close();
}
