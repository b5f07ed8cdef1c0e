// The ticket's collaboration group on the phone: who is in it and their tasks (one's own
// marked done from here), and the chat. Read from `GET /groups/{id}`, sent through the
// group routes; the field stream's `group.*` frames say when to read again.
import { t, name } from './i18n.js';
import { esc, time } from './format.js';

export class GroupPane {
  /**
   * @param {HTMLElement} el
   * @param {import('./api.js').Api} api
   * @param {string[]} mine staff ids this sign-in speaks for
   * @param {Function} toast
   */
  constructor(el, api, mine, toast) {
    this.el = el;
    this.api = api;
    this.mine = new Set(mine);
    this.toast = toast;
    this.group = null;
    this.ticketId = null;
  }

  async load(ticketId) {
    this.ticketId = ticketId;
    try {
      this.group = await this.api.get(`/groups/${ticketId}`);
    } catch (e) {
      this.group = null;
      this.error = e.status === 404 ? null : e.message;
    }
    if (this.ticketId === ticketId) this.render();
  }

  render() {
    const g = this.group;
    if (!g) {
      this.el.innerHTML = `<p class="hint group-none">${esc(this.error || t('field.no_group'))}</p>`;
      return;
    }
    const members = g.members.map((m) => {
      const own = this.mine.has(m.staff_id);
      const action = own && !m.task.done && g.active
        ? `<button data-task="${m.task.id}" class="task-done">${esc(t('field.task_done'))}</button>` : '';
      return `<li class="${m.task.done ? 'done' : ''}" data-member="${esc(m.staff_id)}">
        <span><strong>${esc(m.name || m.staff_id)}</strong> · ${esc(t(`group.${m.role}`))} · ${esc(name('department', m.department))}<br>${esc(m.task.text)}</span>${action}</li>`;
    }).join('');
    const messages = (g.messages || []).map((m) => {
      const own = m.author && this.mine.has(m.author);
      const who = m.author_name || m.author || t('field.command_centre');
      return `<li class="${own ? 'mine' : ''}" data-message="${m.message_no}"><div class="who">${esc(who)} · ${esc(time(m.at))}</div>${esc(m.text)}</li>`;
    }).join('');
    this.el.innerHTML = `
      <h4>${esc(g.name)}${g.active ? '' : ` <span class="hint">(${esc(t('field.group_dissolved'))})</span>`}</h4>
      <ul class="tasks">${members}</ul>
      <h4>${esc(t('field.chat'))}</h4>
      <ul class="chat">${messages || `<li class="hint">${esc(t('field.no_messages'))}</li>`}</ul>
      ${g.active ? `<form class="chat-form"><input name="text" maxlength="1000" autocomplete="off" placeholder="${esc(t('field.chat_placeholder'))}"><button class="primary" type="submit">${esc(t('common.send'))}</button></form>` : ''}`;
    const chat = this.el.querySelector('.chat');
    chat.scrollTop = chat.scrollHeight;
    for (const b of this.el.querySelectorAll('[data-task]')) b.onclick = () => this.done(b.dataset.task);
    const form = this.el.querySelector('.chat-form');
    if (form) form.onsubmit = (ev) => { ev.preventDefault(); this.send(form); };
  }

  async send(form) {
    const text = form.text.value.trim();
    if (!text) return;
    form.querySelector('button').disabled = true;
    try {
      await this.api.post(`/groups/${this.ticketId}/messages`, { text });
      form.text.value = '';
      await this.load(this.ticketId);
    } catch (e) {
      this.toast(e.message, 'error');
    } finally {
      form.querySelector('button').disabled = false;
    }
  }

  async done(task) {
    try {
      this.group = await this.api.post(`/groups/${this.ticketId}/tasks/${task}/done`, {});
      await this.load(this.ticketId);
    } catch (e) {
      this.toast(e.message, 'error');
    }
  }
}
