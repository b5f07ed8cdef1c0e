// The collaboration-group tab ("ticket No. X collaboration group"): members with their
// lead/assist role and task, task completion, live chat (messages are timeline events
// `group.message`, pushed live as frames), and a form to form the group.
import { t, name } from './i18n.js';
import { esc, time } from './format.js';

export class GroupPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.staff = null;
    this.groups = new Map();
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
      this.groups.set(tk.id, g);
    } catch { /* no group yet */ }
  }

  frame(f) {
    if (f.group) this.groups.set(f.ticket_id || f.group.id, f.group);
  }

  group(tk) {
    return this.groups.get(tk.id) || this.ctx.state.groups.get(tk.id) || null;
  }

  staffName(id) {
    const s = (this.staff || []).find((x) => x.id === id);
    return s ? `${s.name}（${s.badge || id}）` : id;
  }

  render(tk, events) {
    const g = this.group(tk);
    if (!g || g.dissolved_at) return `${g?.dissolved_at ? `<p class="hint">${esc(t('group.dissolved'))}</p>` : `<p class="hint">${esc(t('group.none'))}</p>`}${this.form()}`;
    const members = g.members || [];
    const chat = events.filter((e) => e.type === 'group.message');
    return `<h4 class="group-title">${esc(t('group.title', { n: tk.number }))}</h4>
      <table class="members"><tbody>${members.map((m) => {
        const task = m.task || {};
        return `<tr><td><span class="badge role-${esc(m.role)}">${esc(t(`group.${m.role}`))}</span></td>
          <td>${esc(this.staffName(m.staff_id))}<br><small>${esc(name('department', m.department))}</small></td>
          <td>${esc(task.text || '')}</td>
          <td>${task.done ? `<span class="ok">✓ ${esc(t('group.task_done'))}</span>` : `<button data-act="task-done" data-task="${esc(task.id)}">${esc(t('group.mark_done'))}</button>`}</td></tr>`;
      }).join('')}</tbody></table>
      <h4>${esc(t('group.chat'))}</h4>
      <ol class="chat">${chat.map((e) => `<li><time>${esc(time(e.at))}</time> <strong>${esc(e.by_subject || e.by_role)}</strong> ${esc(e.data?.text || '')}</li>`).join('')}</ol>
      <div class="chat-send"><input id="group-message" placeholder="${esc(t('group.message'))}"><button class="primary" data-act="group-send">${esc(t('common.send'))}</button></div>`;
  }

  form() {
    const options = (this.staff || []).map((s) => `<option value="${esc(s.id)}">${esc(s.name)} · ${esc(name('department', s.department))} · ${esc(s.badge || s.id)}</option>`).join('');
    const row = (i) => `<div class="member-row"><select id="gm-staff-${i}"><option value="">${esc(t('group.staff'))}</option>${options}</select>
      <select id="gm-role-${i}"><option value="${i === 0 ? 'lead' : 'assist'}">${esc(t(i === 0 ? 'group.lead' : 'group.assist'))}</option></select>
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
        if (g) this.groups.set(tk.id, g.members ? g : (g.group || g));
        await this.load(tk);
        return true;
      }
      if (act === 'group-send') {
        const text = val('group-message');
        if (!text) return false;
        await this.ctx.api.post(`/groups/${tk.id}/messages`, { text });
        document.getElementById('group-message').value = '';
        return true;
      }
      if (act === 'task-done') {
        await this.ctx.api.post(`/groups/${tk.id}/tasks/${button.dataset.task}/done`, {});
        await this.load(tk);
        return true;
      }
    } catch (e) {
      this.ctx.toast(`${e.message}${e.code ? ` (${e.code})` : ''}`, 'error');
    }
    return false;
  }
}
