// The agent console page: the list of handed-off conversations, one transcript, the reply box.
// Live through server-sent events (/agent/api/events); every text goes in with textContent.
import {
  clockOffsetMs, dayLabel, displayName, entriesToAppend, entryKey, entryView, errorSentence, formatAgo, formatDuration, initials,
  isWebUrl, makeMessageId, pendingBaseline, pendingSettled, preview, reasonLabel, rowStatus, waitLevel,
} from './model.js';

const $ = (id) => document.getElementById(id);
const el = {
  list: $('conversation-list'), listEmpty: $('list-empty'), listCount: $('list-count'), listError: $('list-error'),
  live: $('live-status'), meName: $('me-name'), queuesLink: $('queues-link'),
  placeholder: $('conversation-placeholder'), view: $('conversation-view'), title: $('conversation-title'), meta: $('conversation-meta'),
  ownerAction: $('owner-action'), ownerBanner: $('owner-banner'), conversationError: $('conversation-error'), back: $('back-link'),
  scroll: $('transcript-scroll'), transcript: $('transcript'), pending: $('pending'), jump: $('jump-latest'),
  composer: $('composer'), reply: $('reply'), replyLabel: $('reply-label'), replyCount: $('reply-count'), composerError: $('composer-error'),
  takeover: $('takeover'), takeoverForm: $('takeover-form'), takeoverKind: $('takeover-kind'), takeoverId: $('takeover-id'), takeoverError: $('takeover-error'),
  announcer: $('announcer'),
};

/** An element with attributes and children (strings become text nodes; false and null are skipped). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false || child === '') continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const isNarrow = () => window.matchMedia('(max-width: 760px)').matches;
const MAX_REPLY = 4096;

// ---------- API ----------

class ApiError extends Error {
  constructor(status, body) {
    super(errorSentence(status, body));
    this.status = status;
  }
}

async function call(method, path, body) {
  let res;
  try {
    res = await fetch(`/agent/api${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, null);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// ---------- state ----------

const state = {
  rows: [],
  /** server clock minus browser clock, for ages of server times */
  offsetMs: 0,
  listLoaded: false,
  known: new Set(),
  selected: null,
  detail: null,
  renderedFor: null,
  renderedKeys: [],
  lastShown: null,
  /** conversation id -> replies sent but not yet in the transcript */
  pending: new Map(),
  /** conversation id -> what the reply box held when the agent switched away */
  drafts: new Map(),
  /** the reply that failed last, so sending it again reuses its message_id (never sent twice) */
  retry: null,
  busy: false,
};

const serverNow = () => Date.now() + state.offsetMs;
const ageSeconds = (iso) => (serverNow() - Date.parse(iso)) / 1000;
const timeOfDay = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function announce(text) {
  el.announcer.textContent = '';
  // a fresh text node in a later frame, so the same sentence twice is announced twice
  requestAnimationFrame(() => { el.announcer.textContent = text; });
}

function showError(node, message) {
  node.textContent = message;
  node.hidden = false;
}
const hideError = (node) => { node.hidden = true; node.textContent = ''; };

/** Runs `fn` once at a time; calls meanwhile make it run once more afterwards. */
function coalesce(fn) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await fn();
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
}

// ---------- the list ----------

const refreshList = coalesce(async () => {
  try {
    const { conversations } = await call('GET', '/conversations');
    hideError(el.listError);
    applyList(conversations);
  } catch (err) {
    showError(el.listError, `The list could not be loaded: ${err.message}`);
  }
});

function applyList(rows) {
  const now = Date.now();
  if (rows.length) state.offsetMs = clockOffsetMs(rows[0], now);
  const arrived = state.listLoaded ? rows.filter((row) => !state.known.has(row.conversation_id)) : [];
  if (arrived.length === 1) announce(`New conversation waiting: ${displayName(arrived[0])}`);
  else if (arrived.length > 1) announce(`${arrived.length} new conversations waiting`);
  state.known = new Set(rows.map((r) => r.conversation_id));
  state.listLoaded = true;
  state.rows = rows.map((row) => ({ ...row, fetchedAt: now }));
  renderList();
}

const rowElements = new Map();

function renderList() {
  const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest('#conversation-list [data-id]')?.dataset.id;
  const ids = new Set(state.rows.map((r) => r.conversation_id));
  for (const [id, li] of rowElements) {
    if (!ids.has(id)) {
      li.remove();
      rowElements.delete(id);
    }
  }
  state.rows.forEach((row, i) => {
    let li = rowElements.get(row.conversation_id);
    if (!li) {
      li = h('li');
      rowElements.set(row.conversation_id, li);
    }
    fillRow(li, row);
    if (el.list.children[i] !== li) el.list.insertBefore(li, el.list.children[i] ?? null);
  });
  if (focusedId && rowElements.has(focusedId) && !el.list.contains(document.activeElement)) rowElements.get(focusedId).firstElementChild.focus();
  el.listEmpty.hidden = state.rows.length > 0;
  el.listCount.textContent = state.rows.length ? String(state.rows.length) : '';
  const waiting = state.rows.filter((r) => rowStatus(r) !== 'answered').length;
  document.title = waiting ? `(${waiting}) Agent console` : 'Agent console';
}

function fillRow(li, row) {
  let link = li.firstElementChild;
  if (!link) {
    link = h('a', { className: 'row' });
    li.append(link);
  }
  const name = displayName(row);
  const status = rowStatus(row);
  link.href = `#/c/${row.conversation_id}`;
  link.dataset.id = row.conversation_id;
  link.dataset.status = status;
  if (row.conversation_id === state.selected) link.setAttribute('aria-current', 'true');
  else link.removeAttribute('aria-current');

  const waited = row.waiting_seconds + (Date.now() - row.fetchedAt) / 1000;
  const time = status === 'new'
    ? h('span', { className: 'row-time', dataset: { level: waitLevel(waited) } }, `waiting ${formatDuration(waited)}`)
    : h('span', { className: 'row-time' }, row.last_message ? formatAgo(ageSeconds(row.last_message.at)) : '');
  let badge;
  if (status === 'new') badge = h('span', { className: 'badge', dataset: { kind: 'new' } }, 'New');
  else if (row.unanswered > 0) badge = h('span', { className: 'badge' }, String(row.unanswered), h('span', { className: 'visually-hidden' }, ' unanswered'));
  const meta = [reasonLabel(row.reason), row.agent_name ? `${row.agent_name} answering` : 'no reply yet'].filter(Boolean).join(' · ');
  link.replaceChildren(
    h('span', { className: 'avatar', 'aria-hidden': 'true' }, initials(name)),
    h('span', { className: 'row-name' }, name),
    time,
    h('span', { className: 'row-meta' }, h('span', { className: 'visually-hidden' }, ', '), meta),
    badge ?? h('span'),
    h('span', { className: 'row-preview' }, h('span', { className: 'visually-hidden' }, ', '), preview(row.last_message)),
  );
}

// ---------- one conversation ----------

const refreshConversation = coalesce(async () => {
  const id = state.selected;
  if (!id) return;
  try {
    const detail = await call('GET', `/conversations/${encodeURIComponent(id)}/messages`);
    if (state.selected !== id) return;
    hideError(el.conversationError);
    applyDetail(detail);
  } catch (err) {
    if (state.selected !== id) return;
    showError(el.conversationError, err.status === 404 ? 'This conversation is not known: it never wrote, or its data expired.' : `The conversation could not be loaded: ${err.message}`);
  }
});

function applyDetail(detail) {
  state.detail = detail;
  renderHead();
  renderTranscript(detail);
  const pending = state.pending.get(detail.conversation_id);
  if (pending) {
    state.pending.set(detail.conversation_id, pending.filter((p) => !pendingSettled(p, detail.messages)));
    renderPending();
  }
}

function renderHead() {
  const d = state.detail;
  if (!d) return;
  const name = displayName(d);
  el.title.textContent = name;
  el.replyLabel.textContent = `Reply to ${name}`;
  const id = d.user_id ? `user id ${d.user_id}` : d.braze_id ? `Braze id ${d.braze_id}` : '';
  const parts = [d.profile_name ? id : ''];
  if (d.owner === 'agent') {
    if (d.since) parts.push(`handed off ${formatAgo(ageSeconds(d.since))}`);
    if (d.reason) parts.push(reasonLabel(d.reason));
    parts.push(d.agent_name ? `${d.agent_name} answering` : 'no reply yet');
  } else {
    parts.push('the bot is answering');
  }
  el.meta.textContent = parts.filter(Boolean).join(' · ');
  el.ownerAction.hidden = false;
  el.ownerAction.textContent = d.owner === 'agent' ? 'Return to bot' : 'Take over';
  el.ownerAction.className = d.owner === 'agent' ? 'button' : 'button primary';
  el.ownerBanner.hidden = d.owner === 'agent';
  el.ownerBanner.textContent = d.owner === 'agent' ? '' : 'The bot answers this customer. Take over, or send a reply, to answer them yourself.';
}

const nearBottom = () => el.scroll.scrollHeight - el.scroll.scrollTop - el.scroll.clientHeight < 80;
function scrollToLatest() {
  el.scroll.scrollTop = el.scroll.scrollHeight;
  el.jump.hidden = true;
}

function resetTranscript(conversationId) {
  // a new list element: a live region filled at once is not read out entry by entry
  const fresh = el.transcript.cloneNode(false);
  el.transcript.replaceWith(fresh);
  el.transcript = fresh;
  state.renderedFor = conversationId;
  state.renderedKeys = [];
  state.lastShown = null;
}

function renderTranscript(detail) {
  const switched = state.renderedFor !== detail.conversation_id;
  let add = switched ? null : entriesToAppend(state.renderedKeys, detail.messages);
  if (add === null) {
    resetTranscript(detail.conversation_id);
    add = detail.messages;
  }
  if (add.length === 0) return;
  const follow = switched || nearBottom();
  const customer = displayName(detail);
  const fresh = !switched && state.renderedKeys.length > 0;
  for (const entry of add) {
    appendEntry(entry, customer, fresh);
    state.renderedKeys.push(entryKey(entry));
  }
  if (follow) scrollToLatest();
  else el.jump.hidden = false;
}

const FOLLOW_MS = 3 * 60_000;

function appendEntry(entry, customer, fresh) {
  const at = Date.parse(entry.at);
  const dated = at > 0;
  const previous = state.lastShown;
  if (dated && (!previous || !previous.dated || dayLabel(previous.at, Date.now()) !== dayLabel(at, Date.now()))) {
    el.transcript.append(h('li', { className: 'day' }, dayLabel(at, Date.now())));
  }
  const view = entryView(entry, customer);
  const when = dated ? h('time', { datetime: entry.at }, timeOfDay(entry.at)) : null;
  let li;
  if (view.side === 'center') {
    li = h('li', { className: 'entry', dataset: { side: 'center', tone: 'note', kind: entry.kind ?? '' } },
      h('p', { className: 'note' }, view.label, when ? ' · ' : '', when));
  } else {
    const follows = previous && previous.label === view.label && previous.tone === view.tone && view.tone !== 'draft' && dated && at - previous.at < FOLLOW_MS;
    li = h('li', { className: `entry${follows ? ' follows' : ''}`, dataset: { side: view.side, tone: view.tone } },
      h('p', { className: 'entry-label' }, h('strong', {}, view.label), when, view.flag ? h('span', { className: 'flag' }, view.flag) : null),
      h('div', { className: 'bubble' },
        entry.transcribed ? h('span', { className: 'attachment' }, 'Voice message, transcribed:') : null,
        entry.text ?? '',
        attachments(entry)));
    if (view.tone === 'draft' && entry.text) {
      li.append(h('p', { className: 'entry-actions' }, h('button', { type: 'button', className: 'button small', onclick: () => putInReply(entry.text) }, 'Use draft')));
    }
    if (entry.suggested_reply) {
      li.append(h('div', { className: 'suggestion' },
        h('p', { className: 'suggestion-label' }, 'Suggested reply'),
        h('p', { className: 'suggestion-text' }, entry.suggested_reply),
        h('button', { type: 'button', className: 'button small', onclick: () => putInReply(entry.suggested_reply) }, 'Use suggestion')));
    }
  }
  if (fresh) li.classList.add('fresh');
  el.transcript.append(li);
  state.lastShown = { at, dated, label: view.label, tone: view.tone };
}

/** Links to the customer's media (Braze keeps them for 7 days); the count alone where there are none. */
function attachments(entry) {
  const links = (entry.media_urls ?? []).filter(isWebUrl);
  if (links.length) {
    return h('span', { className: 'attachments' }, ...links.map((url, i) =>
      h('a', { className: 'attachment', href: url, target: '_blank', rel: 'noopener noreferrer' }, links.length === 1 ? 'Attachment' : `Attachment ${i + 1}`)));
  }
  if (!entry.media) return null;
  return h('span', { className: 'attachment' }, entry.media === 1 ? '1 attachment (not shown here)' : `${entry.media} attachments (not shown here)`);
}

function renderPending() {
  const items = state.pending.get(state.selected) ?? [];
  el.pending.replaceChildren(...items.map((p) => h('li', { className: 'entry', dataset: { side: 'end', tone: 'sending' } },
    h('p', { className: 'entry-label' }, h('strong', {}, el.meName.textContent || 'You'), 'sending…'),
    h('div', { className: 'bubble' }, p.text))));
}

function putInReply(text) {
  el.reply.value = text;
  state.drafts.set(state.selected, text);
  fitReply();
  el.reply.focus();
  el.reply.setSelectionRange(text.length, text.length);
}

function fitReply() {
  el.reply.style.height = 'auto';
  el.reply.style.height = `${el.reply.scrollHeight + 2}px`;
  const n = el.reply.value.length;
  el.replyCount.textContent = n > MAX_REPLY - 600 ? `${n} / ${MAX_REPLY}` : '';
  el.replyCount.dataset.level = n >= MAX_REPLY ? 'late' : 'ok';
}

// ---------- navigation ----------

function conversationInHash() {
  const match = /^#\/c\/([A-Za-z0-9_-]{1,64})$/.exec(location.hash);
  return match ? match[1] : null;
}

function openConversation(id, { moveFocus }) {
  const previous = state.selected;
  state.selected = id;
  document.body.dataset.view = id ? 'conversation' : 'list';
  el.placeholder.hidden = Boolean(id);
  el.view.hidden = !id;
  renderList();
  if (!id) {
    state.detail = null;
    if (moveFocus && previous && rowElements.has(previous)) rowElements.get(previous).firstElementChild.focus();
    return;
  }
  if (previous !== id) {
    hideError(el.conversationError);
    hideError(el.composerError);
    const row = state.rows.find((r) => r.conversation_id === id);
    el.title.textContent = row ? displayName(row) : 'Loading…';
    el.meta.textContent = '';
    el.ownerAction.hidden = true;
    el.ownerBanner.hidden = true;
    state.detail = null;
    resetTranscript(null);
    renderPending();
    el.reply.value = state.drafts.get(id) ?? '';
    fitReply();
  }
  void refreshConversation();
  if (moveFocus) (isNarrow() ? el.title : el.reply).focus();
}

window.addEventListener('hashchange', () => openConversation(conversationInHash(), { moveFocus: true }));

// ---------- actions ----------

el.reply.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
    event.preventDefault();
    el.composer.requestSubmit();
  }
});
el.reply.addEventListener('input', () => {
  if (state.selected) state.drafts.set(state.selected, el.reply.value);
  fitReply();
});

el.composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = state.selected;
  const text = el.reply.value.trim();
  if (!id || !text) return;
  const messageId = state.retry && state.retry.conversationId === id && state.retry.text === text
    ? state.retry.messageId
    : makeMessageId(crypto.getRandomValues(new Uint8Array(16)));
  state.retry = null;
  const item = { ...pendingBaseline(text, state.detail && state.detail.conversation_id === id ? state.detail.messages : []), messageId };
  state.pending.set(id, [...(state.pending.get(id) ?? []), item]);
  renderPending();
  scrollToLatest();
  el.reply.value = '';
  state.drafts.delete(id);
  fitReply();
  hideError(el.composerError);
  try {
    await call('POST', '/messages', { conversation_id: id, message: text, message_id: messageId });
    void refreshConversation();
    void refreshList();
  } catch (err) {
    state.pending.set(id, (state.pending.get(id) ?? []).filter((p) => p !== item));
    state.retry = { conversationId: id, text, messageId };
    if (state.selected === id) {
      renderPending();
      if (!el.reply.value) {
        el.reply.value = text;
        fitReply();
      }
      showError(el.composerError, `Not sent: ${err.message}`);
    }
  }
});

el.ownerAction.addEventListener('click', async () => {
  const d = state.detail;
  if (!d || state.busy) return;
  state.busy = true;
  el.ownerAction.setAttribute('aria-disabled', 'true');
  const name = displayName(d);
  try {
    if (d.owner === 'agent') {
      await call('POST', '/release', { conversation_id: d.conversation_id });
      announce(`${name} is back with the bot`);
    } else {
      await call('POST', '/handoff', { conversation_id: d.conversation_id });
      announce(`You took over ${name}`);
    }
    hideError(el.conversationError);
    await Promise.all([refreshConversation(), refreshList()]);
  } catch (err) {
    showError(el.conversationError, err.message);
  } finally {
    state.busy = false;
    el.ownerAction.removeAttribute('aria-disabled');
  }
});

el.takeoverForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const value = el.takeoverId.value.trim();
  if (!value) {
    showError(el.takeoverError, 'Enter the customer\'s id.');
    el.takeoverId.focus();
    return;
  }
  try {
    const result = await call('POST', '/handoff', { [el.takeoverKind.value]: value });
    hideError(el.takeoverError);
    el.takeoverId.value = '';
    announce(result.started ? 'You took the conversation over' : 'That conversation is already with a person');
    state.known.add(result.conversation_id);
    location.hash = `#/c/${result.conversation_id}`;
    void refreshList();
  } catch (err) {
    showError(el.takeoverError, err.message);
  }
});

el.back.addEventListener('click', (event) => {
  event.preventDefault();
  history.pushState(null, '', location.pathname);
  openConversation(null, { moveFocus: true });
});

el.jump.addEventListener('click', () => {
  scrollToLatest();
  el.reply.focus();
});
el.scroll.addEventListener('scroll', () => { if (nearBottom()) el.jump.hidden = true; });

// ---------- live ----------

const LIVE_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline, retrying…' };
function setLive(stateName) {
  if (el.live.dataset.state === stateName) return;
  el.live.dataset.state = stateName;
  el.live.textContent = LIVE_TEXT[stateName];
}

function refreshAll() {
  void refreshList();
  void refreshConversation();
}

// a burst of changes (a busy hour, many agents) costs one list request per LIST_BATCH_MS, not one each
const LIST_BATCH_MS = 250;
let listTimer = null;
function refreshListSoon() {
  if (listTimer) return;
  listTimer = setTimeout(() => {
    listTimer = null;
    void refreshList();
  }, LIST_BATCH_MS);
}

let retryMs = 2_000;
function connect() {
  const events = new EventSource('/agent/api/events');
  events.addEventListener('open', () => {
    retryMs = 2_000;
    setLive('live');
    // whatever changed while the stream was down
    refreshAll();
  });
  events.addEventListener('conversation', (event) => {
    const { conversation_id: id } = JSON.parse(event.data);
    refreshListSoon();
    if (id === state.selected) void refreshConversation();
  });
  events.addEventListener('resync', refreshAll);
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.CLOSED) {
      // refused (a 503 when the dashboard serves too many streams, a 401): the browser gives up, we do not
      events.close();
      setLive('offline');
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    } else {
      setLive('reconnecting');
    }
  });
}

// waiting times move on between updates
setInterval(() => {
  renderList();
  renderHead();
}, 15_000);

async function start() {
  try {
    const me = await call('GET', '/session');
    el.meName.textContent = me.name;
    el.queuesLink.hidden = me.role !== 'admin';
  } catch (err) {
    showError(el.listError, err.message);
  }
  openConversation(conversationInHash(), { moveFocus: false });
  await refreshList();
  connect();
}

void start();
