// The console's pure logic: what the page shows for the API's data. No DOM here, so it is unit-tested.

/** "<1 min", "12 min", "1 h 05 min", "3 d 4 h" */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return '<1 min';
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "just now", "12 min ago", "1 h 05 min ago" */
export function formatAgo(seconds) {
  return seconds < 60 ? 'just now' : `${formatDuration(seconds)} ago`;
}

/** The name agents know the customer by: the WhatsApp profile name, else an id. */
export function displayName(c) {
  return c.profile_name || c.user_id || c.braze_id || 'Unknown customer';
}

/** Up to two letters for the avatar. */
export function initials(name) {
  const words = name.replace(/[^\p{L}\p{N}\s]/gu, ' ').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words[words.length - 1]][0]];
  return letters.join('').toUpperCase();
}

const REASONS = {
  agent_took_over: 'taken over by an agent',
  agent_console: 'taken over in the console',
  agent_api: 'taken over through the agent API',
  ai_failed: 'the AI could not answer',
};

/** What a handoff reason means to an agent; a route's own reason (its name by default) as written. */
export function reasonLabel(reason) {
  if (!reason) return '';
  return REASONS[reason] ?? reason.replace(/_/g, ' ');
}

/**
 * Where a list row stands: `new` (no agent has written yet: the customer waits since the
 * handoff), `unanswered` (the customer wrote since the last agent reply), else `answered`.
 */
export function rowStatus(row) {
  if (!row.agent_name) return 'new';
  return row.unanswered > 0 ? 'unanswered' : 'answered';
}

/** Minutes after which a waiting customer is shown as waiting long, then too long. */
export const WAIT_WARN_SECONDS = 5 * 60;
export const WAIT_LATE_SECONDS = 15 * 60;

export function waitLevel(seconds) {
  if (seconds >= WAIT_LATE_SECONDS) return 'late';
  if (seconds >= WAIT_WARN_SECONDS) return 'warn';
  return 'ok';
}

/** The server's clock minus the browser's, from a list row (since + waiting_seconds is the server's now). */
export function clockOffsetMs(row, browserNowMs) {
  return Date.parse(row.since) + row.waiting_seconds * 1000 - browserNowMs;
}

/** How a transcript entry is shown: its side, its tone and the label above it. */
export function entryView(entry, customerName) {
  switch (entry.from) {
    case 'customer':
      return { side: 'start', tone: 'customer', label: customerName };
    case 'agent':
      return { side: 'end', tone: 'agent', label: entry.agent_name || 'Agent' };
    case 'bot':
      return entry.draft
        ? { side: 'end', tone: 'draft', label: 'Bot draft', flag: 'not sent: draft' }
        : { side: 'end', tone: 'bot', label: 'Bot' };
    default:
      return { side: 'center', tone: 'note', label: noteText(entry) };
  }
}

/** A note's sentence. */
export function noteText(entry) {
  switch (entry.kind) {
    case 'handoff_started':
      return entry.reason ? `Handed to a person: ${reasonLabel(entry.reason)}` : 'Handed to a person';
    case 'handoff_ended':
      return 'Returned to the bot';
    case 'delivery_failed':
      return `Not delivered${entry.agent_name ? ` (${entry.agent_name})` : ''}: ${entry.reason || 'unknown reason'}`;
    default:
      return entry.kind ? entry.kind.replace(/_/g, ' ') : 'Note';
  }
}

const NOTE_PREVIEWS = { handoff_started: 'Handed to a person', handoff_ended: 'Returned to the bot', delivery_failed: 'A reply was not delivered' };

/** A short line for the list: who wrote last, and what. */
export function preview(message) {
  if (!message) return '';
  if (message.who === 'note') return NOTE_PREVIEWS[message.kind] ?? 'Update in the conversation';
  const who = message.draft ? 'Bot draft, not sent: ' : { bot: 'Bot: ', agent: 'Agent: ' }[message.who] ?? '';
  const text = (message.text ?? '').replace(/\s+/g, ' ').trim();
  return `${who}${text || '(attachment)'}`;
}

/** An entry's identity in a transcript; entries are never edited, only appended (and the oldest trimmed). */
export function entryKey(entry) {
  return `${entry.at}|${entry.from}|${entry.kind ?? ''}|${entry.draft ? 'd' : ''}|${entry.text ?? ''}`;
}

/**
 * What to add to a rendered transcript: the entries after the last one shown, or null when the
 * shown ones are not a prefix of the new list's tail (another conversation, or an edit).
 */
export function entriesToAppend(renderedKeys, messages) {
  if (renderedKeys.length === 0) return messages;
  const last = renderedKeys[renderedKeys.length - 1];
  const keys = messages.map(entryKey);
  const at = keys.lastIndexOf(last);
  if (at < 0) return null;
  return messages.slice(at + 1);
}

/** A pending reply is settled when the transcript holds it (Braze took it) or a failure note came after it was sent. */
export function pendingSettled(pending, messages) {
  const agentCopies = messages.filter((m) => m.from === 'agent' && m.text === pending.text).length;
  const failures = messages.filter((m) => m.from === 'note' && m.kind === 'delivery_failed').length;
  return agentCopies > pending.agentCopies || failures > pending.failures;
}

/** What a pending reply is measured against: the copies and failures already in the transcript. */
export function pendingBaseline(text, messages) {
  return {
    text,
    agentCopies: messages.filter((m) => m.from === 'agent' && m.text === text).length,
    failures: messages.filter((m) => m.from === 'note' && m.kind === 'delivery_failed').length,
  };
}

/** Only http(s) links become links: a customer's media URL must not run script (javascript:) when clicked. */
export function isWebUrl(value) {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** A message_id for the agent API's idempotency (crypto.randomUUID needs a secure context; this does not). */
export function makeMessageId(bytes) {
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Calendar-day label for the separators between days. */
export function dayLabel(atMs, nowMs) {
  const day = (ms) => { const d = new Date(ms); return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime(); };
  const diff = Math.round((day(nowMs) - day(atMs)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return new Date(atMs).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: diff > 300 ? 'numeric' : undefined });
}

/** The body of a JSON error answer as one sentence. */
export function errorSentence(status, body) {
  const error = body && body.error;
  if (error && error.details && error.details.length) return error.details.map((d) => `${d.field} ${d.problem}`).join('; ');
  if (error && error.message) return error.message;
  if (status === 0) return 'The dashboard cannot be reached; check the connection and try again.';
  return `The dashboard answered ${status}.`;
}
