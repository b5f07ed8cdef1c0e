// The collaboration-group tab ("ticket No. X collaboration group"): members with their
// lead/assist role, department and task, task progress, live chat, a form to form the
// group, and dissolution. The group is read from `GET /groups/{id}` (with its latest
// messages) and kept current by the `group.*` frames of `/ws/console`, which carry the
// group without messages; a `group.message` frame's event holds the new message, so chat
// is kept here, per ticket, by message number.
import { t, name } from './i18n.js';
import { esc, time } from './format.js';
import { errorText } from './api.js';

export class GroupPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.staff = null;
    this.groups = new Map();
    this.chats = new Map(); // ticket id -> Map(message_no -> message)
    this.leads = new Map(); // ticket id -> the last lead change { at, from, to, reason }
    this.rows = 2;
  }

  async load(tk) {
    if (!tk) return;
    if (!this.staff) {
      try {
        const res = await this.ctx.api.get('/staff');
        this.staff = Array.isArray(res) ? res : res.items || [];
      } catch { this.staff = []; }
    }
    try {
      const g = await this.ctx.api.get(`/groups/${tk.id}`);
      this.keep(tk.id, g);
      // The last hand-over of the lead (e.g. to the crew sent), from the timeline.
      const events = await this.ctx.api.get(`/tickets/${tk.id}/events`);
      const last = (Array.isArray(events) ? events : []).filter((e) => e.type === 'group.members_changed' && e.data?.previous_lead
        && e.data.generation === g.generation).at(-1);
      if (last) this.leadChanged(tk.id, last);
    } catch { /* the ticket never had a group */ }
  }

  /** Remembers a `group.members_changed` event that handed the lead on. */
  leadChanged(id, e) {
    this.leads.set(id, { at: e.at, from: e.data.previous_lead, to: e.data.lead, reason: e.data.reason, generation: e.data.generation });
  }

  /** Keeps a group as the engine showed it; its messages (if any) join the chat. */
  keep(id, g) {
    const { messages, ...group } = g;
    this.groups.set(id, group);
    for (const m of messages || []) this.chat(id).set(m.message_no, m);
  }

  chat(id) {
    if (!this.chats.has(id)) this.chats.set(id, new Map());
    return this.chats.get(id);
  }

  /** A frame about the shown ticket: a `group.*` frame replaces the group; a message joins. */
  frame(f) {
    const id = f.ticket_id || f.group?.id;
    if (!id || !f.group) return;
    if (f.group.generation !== this.groups.get(id)?.generation) this.chats.delete(id);
    this.keep(id, f.group);
    const e = f.event;
    if (e?.type === 'group.members_changed' && e.data?.previous_lead) this.leadChanged(id, e);
    if (f.type === 'group.message' && e?.data) {
      const author = f.group.members?.find((m) => m.staff_id === e.data.author);
      this.chat(id).set(e.data.message_no, {
        event_id: e.event_id, message_no: e.data.message_no, at: e.at, author: e.data.author,
        author_name: author?.name, by_role: e.by_role, by_subject: e.by_subject, text: e.data.text,
      });
    }
  }

  group(tk) {
    return this.groups.get(tk.id) || this.ctx.state.groups.get(tk.id) || null;
  }

  member(m) {
    const s = (this.staff || []).find((x) => x.id === m.staff_id);
    const who = m.name || s?.name || m.staff_id;
    const badge = m.badge || s?.badge;
    return badge ? `${who}（${badge}）` : who;
  }

  author(m) {
    if (m.author_name) return m.author_name;
    if (m.author) return m.author;
    return m.by_role === 'field' ? m.by_subject || m.by_role : t('group.centre');
  }

  render(tk) {
    const g = this.group(tk);
    if (!g || !g.active) {
      const why = g ? `${t('group.dissolved')}${g.dissolved_reason ? `：${g.dissolved_reason}` : ''}` : t('group.none');
      return `<p class="hint">${esc(why)}</p>${this.form()}`;
    }
    const members = g.members || [];
    const chat = [...this.chat(tk.id).values()].sort((a, b) => a.message_no - b.message_no);
    return `<h4 class="group-title" data-group="${esc(g.id)}">${esc(t('group.title', { n: g.number || tk.number }))}
        ${g.auto ? `<span class="badge">${esc(t('group.auto'))}</span>` : ''}</h4>
      ${this.leadChange(tk, g)}
      <p class="group-progress">${esc(t('group.progress', { done: g.tasks_done ?? 0, total: g.tasks_total ?? members.length }))}</p>
      <table class="members"><tbody>${members.map((m) => {
        const task = m.task || {};
        return `<tr data-member="${esc(m.staff_id)}" data-role="${esc(m.role)}"><td><span class="badge role-${esc(m.role)}">${esc(t(`group.${m.role}`))}</span></td>
          <td>${esc(this.member(m))}<br><small>${esc(name('department', m.department))}</small></td>
          <td class="task${task.done ? ' done' : ''}" data-task="${esc(task.id)}" data-done="${task.done ? 'true' : 'false'}">${esc(task.text || '')}${task.note ? `<br><small>${esc(task.note)}</small>` : ''}</td>
          <td>${task.done ? `<span class="ok">✓ ${esc(t('group.task_done'))}${task.done_at ? ` ${esc(time(task.done_at))}` : ''}</span>` : `<button data-act="task-done" data-task="${esc(task.id)}">${esc(t('group.mark_done'))}</button>`}</td></tr>`;
      }).join('')}</tbody></table>
      <h4>${esc(t('group.chat'))}</h4>
      <ol class="chat">${chat.map((m) => `<li data-message="${esc(m.message_no)}"><time>${esc(time(m.at))}</time> <strong>${esc(this.author(m))}</strong> ${esc(m.text)}</li>`).join('')}</ol>
      <div class="chat-send"><input id="group-message" placeholder="${esc(t('group.message'))}"><button class="primary" data-act="group-send">${esc(t('common.send'))}</button></div>
      <div class="chat-send"><input id="group-dissolve-reason" placeholder="${esc(t('group.dissolve_reason'))}"><button data-act="group-dissolve">${esc(t('group.dissolve'))}</button></div>`;
  }

  /** The last hand-over of the lead of this generation: who led, who leads, and why. */
  leadChange(tk, g) {
    const c = this.leads.get(tk.id);
    if (!c || c.generation !== g.generation) return '';
    const who = (id) => this.member(g.members?.find((m) => m.staff_id === id) || { staff_id: id });
    return `<p class="group-lead-change" data-from="${esc(c.from)}" data-to="${esc(c.to)}">${esc(t('group.lead_changed', { from: who(c.from), to: who(c.to) }))}
      <time>${esc(time(c.at))}</time>${c.reason ? `<br><small>${esc(c.reason)}</small>` : ''}</p>`;
  }

  form() {
    const options = (this.staff || []).map((s) => `<option value="${esc(s.id)}">${esc(s.name)} · ${esc(name('department', s.department))} · ${esc(s.badge || s.id)}</option>`).join('');
    const role = (i, r) => `<option value="${r}"${(i === 0) === (r === 'lead') ? ' selected' : ''}>${esc(t(`group.${r}`))}</option>`;
    const row = (i) => `<div class="member-row"><select id="gm-staff-${i}"><option value="">${esc(t('group.staff'))}</option>${options}</select>
      <select id="gm-role-${i}">${role(i, 'lead')}${role(i, 'assist')}</select>
      <input id="gm-task-${i}" placeholder="${esc(t('group.task'))}"></div>`;
    return `<div class="group-form">${Array.from({ length: this.rows }, (_, i) => row(i)).join('')}
      <div class="actions"><button data-act="group-add-row">${esc(t('group.add_member'))}</button><button class="primary" data-act="group-form">${esc(t('group.form'))}</button></div></div>`;
  }

  /** Handles a group button; resolves true when the panel should re-render. */
  async click(act, button, tk) {
    if (!tk) return false;
    const val = (id) => document.getElementById(id)?.value?.trim() || '';
    try {
      if (act === 'group-add-row') { this.rows += 1; return true; }
      if (act === 'group-form') {
        const members = [];
        for (let i = 0; i < this.rows; i++) {
          const staff_id = val(`gm-staff-${i}`);
          if (staff_id) members.push({ staff_id, role: val(`gm-role-${i}`), task: val(`gm-task-${i}`) });
        }
        const body = { members };
        const g = this.ctx.stream.isOpen() ? await this.ctx.stream.command('group', tk.id, body) : await this.ctx.api.post(`/tickets/${tk.id}/group`, body);
        if (g?.id) { this.chats.delete(tk.id); this.keep(tk.id, g); }
        this.rows = 2;
        return true;
      }
      if (act === 'group-send') {
        const text = val('group-message');
        if (!text) return false;
        const m = await this.ctx.api.post(`/groups/${tk.id}/messages`, { text });
        if (m?.message_no) this.chat(tk.id).set(m.message_no, m);
        document.getElementById('group-message').value = '';
        return true;
      }
      if (act === 'task-done') {
        const g = await this.ctx.api.post(`/groups/${tk.id}/tasks/${button.dataset.task}/done`, {});
        if (g?.id) this.keep(tk.id, g);
        return true;
      }
      if (act === 'group-dissolve') {
        const reason = val('group-dissolve-reason');
        if (!reason) { this.ctx.toast(t('group.dissolve_reason'), 'error'); return false; }
        const g = await this.ctx.api.post(`/groups/${tk.id}/dissolve`, { reason });
        if (g?.id) this.keep(tk.id, g);
        return true;
      }
    } catch (e) {
      this.ctx.toast(errorText(e), 'error');
    }
    return false;
  }
}
