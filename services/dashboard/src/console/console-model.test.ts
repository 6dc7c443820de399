import {
  clockOffsetMs, dayLabel, displayName, entriesToAppend, entryKey, entryView, errorSentence, formatAgo, formatDuration, initials,
  isWebUrl, makeMessageId, noteText, pendingBaseline, pendingSettled, preview, reasonLabel, rowStatus, waitLevel,
} from './static/model.js';

// the page's pure logic (static/model.js runs in the browser as an ES module, unchanged)

describe('waiting times', () => {
  test.each([
    [0, '<1 min'],
    [59, '<1 min'],
    [60, '1 min'],
    [59 * 60 + 59, '59 min'],
    [3600, '1 h 00 min'],
    [3600 + 5 * 60, '1 h 05 min'],
    [23 * 3600 + 59 * 60, '23 h 59 min'],
    [86_400 + 4 * 3600, '1 d 4 h'],
    [-5, '<1 min'],
  ])('when %s seconds have passed, then the page says "%s"', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  test.each([[30, 'just now'], [120, '2 min ago'], [7200, '2 h 00 min ago']])('when the last message is %s seconds old, then it reads "%s"', (seconds, text) => {
    expect(formatAgo(seconds)).toBe(text);
  });

  test.each([[0, 'ok'], [299, 'ok'], [300, 'warn'], [899, 'warn'], [900, 'late']])('when a customer has waited %s seconds, then the wait shows as %s', (seconds, level) => {
    expect(waitLevel(seconds)).toBe(level);
  });

  test('when the server\'s clock is ahead of the browser\'s, then the offset is what the list row implies', () => {
    const row = { since: '2026-01-01T10:00:00.000Z', waiting_seconds: 120 };

    expect(clockOffsetMs(row, Date.parse('2026-01-01T10:01:30.000Z'))).toBe(30_000);
  });
});

describe('list rows', () => {
  test.each([
    ['a profile name', { profile_name: 'Maria', user_id: 'u1', braze_id: 'b1' }, 'Maria'],
    ['only a user id', { user_id: 'u1', braze_id: 'b1' }, 'u1'],
    ['only a Braze id', { braze_id: 'b1' }, 'b1'],
    ['no identity', {}, 'Unknown customer'],
  ])('when a conversation has %s, then it is called "%s"', (_case, row, name) => {
    expect(displayName(row)).toBe(name);
  });

  test.each([
    ['Maria González', 'MG'],
    ['cher', 'CH'],
    ['Łukasz  van der Berg', 'ŁB'],
    ['+1 555', '15'],
    ['!!', '?'],
  ])('when the name is "%s", then the avatar shows %s', (name, letters) => {
    expect(initials(name)).toBe(letters);
  });

  test.each([
    [{ unanswered: 0 }, 'new'],
    [{ unanswered: 2 }, 'new'],
    [{ unanswered: 1, agent_name: 'ada' }, 'unanswered'],
    [{ unanswered: 0, agent_name: 'ada' }, 'answered'],
  ])('when a row is %j, then its status is %s', (row, status) => {
    expect(rowStatus(row)).toBe(status);
  });

  test.each([
    ['agent_took_over', 'taken over by an agent'],
    ['ai_failed', 'the AI could not answer'],
    ['billing_question', 'billing question'],
    [undefined, ''],
  ])('when the reason is %s, then it reads "%s"', (reason, text) => {
    expect(reasonLabel(reason)).toBe(text);
  });

  test.each([
    [undefined, ''],
    [{ who: 'customer', text: '  where\nis it? ' }, 'where is it?'],
    [{ who: 'bot', text: 'On its way' }, 'Bot: On its way'],
    [{ who: 'agent', text: 'Checking' }, 'Agent: Checking'],
    [{ who: 'bot', text: 'On its way', draft: true }, 'Bot draft, not sent: On its way'],
    [{ who: 'customer' }, '(attachment)'],
    [{ who: 'note', kind: 'handoff_started' }, 'Handed to a person'],
    [{ who: 'note', kind: 'delivery_failed' }, 'A reply was not delivered'],
    [{ who: 'note' }, 'Update in the conversation'],
  ])('when the last message is %j, then the preview is "%s"', (message, text) => {
    expect(preview(message)).toBe(text);
  });
});

describe('transcript entries', () => {
  test.each([
    [{ from: 'customer', text: 'hi' }, { side: 'start', tone: 'customer', label: 'Maria' }],
    [{ from: 'bot', text: 'hello' }, { side: 'end', tone: 'bot', label: 'Bot' }],
    [{ from: 'bot', text: 'hello', draft: true }, { side: 'end', tone: 'draft', label: 'Bot draft', flag: 'not sent: draft' }],
    [{ from: 'agent', text: 'hi', agent_name: 'ada' }, { side: 'end', tone: 'agent', label: 'ada' }],
    [{ from: 'agent', text: 'hi' }, { side: 'end', tone: 'agent', label: 'Agent' }],
    [{ from: 'note', kind: 'handoff_ended' }, { side: 'center', tone: 'note', label: 'Returned to the bot' }],
  ])('when an entry is %j, then it is shown as %j', (entry, view) => {
    expect(entryView(entry, 'Maria')).toEqual(view);
  });

  test.each([
    [{ kind: 'handoff_started', reason: 'human' }, 'Handed to a person: human'],
    [{ kind: 'handoff_started' }, 'Handed to a person'],
    [{ kind: 'delivery_failed', reason: 'OUTSIDE_WHATSAPP_WINDOW: last inbound none on record', agent_name: 'ada' }, 'Not delivered (ada): OUTSIDE_WHATSAPP_WINDOW: last inbound none on record'],
    [{ kind: 'delivery_failed' }, 'Not delivered: unknown reason'],
    [{ kind: 'something_new' }, 'something new'],
  ])('when a note is %j, then it reads "%s"', (entry, text) => {
    expect(noteText(entry)).toBe(text);
  });

  const a = { at: '2026-01-01T10:00:00.000Z', from: 'customer', text: 'a' };
  const b = { at: '2026-01-01T10:01:00.000Z', from: 'bot', text: 'b' };
  const c = { at: '2026-01-01T10:02:00.000Z', from: 'agent', text: 'c', agent_name: 'ada' };
  test.each([
    ['nothing is shown yet', [], [a, b], [a, b]],
    ['the shown entries are followed by new ones', [a], [a, b, c], [b, c]],
    ['the oldest were trimmed off', [a, b], [b, c], [c]],
    ['nothing is new', [a, b], [a, b], []],
    ['another conversation\'s entries are shown', [c], [a, b], null],
  ])('when %s, then the entries to add are the right ones', (_case, shown, messages, expected) => {
    expect(entriesToAppend(shown.map(entryKey), messages)).toEqual(expected);
  });

  test('when two entries differ only in being a draft, then their keys differ', () => {
    expect(entryKey({ ...b, draft: true })).not.toBe(entryKey(b));
  });
});

describe('replies being sent', () => {
  const earlier = [{ from: 'agent', text: 'ok' }, { from: 'customer', text: 'ok' }];
  test.each([
    ['the transcript is unchanged', earlier, false],
    ['a customer wrote the same words', [...earlier, { from: 'customer', text: 'ok' }], false],
    ['Braze took the reply', [...earlier, { from: 'agent', text: 'ok' }], true],
    ['a delivery failed', [...earlier, { from: 'note', kind: 'delivery_failed' }], true],
  ])('when %s, then the pending reply is settled: %s', (_case, messages, settled) => {
    expect(pendingSettled(pendingBaseline('ok', earlier), messages)).toBe(settled);
  });

  test('when a message id is made, then it is the bytes in hex after a prefix', () => {
    expect(makeMessageId(new Uint8Array([0, 15, 255]))).toBe('console-000fff');
  });
});

describe('media links', () => {
  test.each([
    ['https://cdn.braze.example/media/1.jpg', true],
    ['http://127.0.0.1/a.png', true],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['not a url', false],
  ])('when a media URL is %s, then it becomes a link: %s', (url, link) => {
    expect(isWebUrl(url)).toBe(link);
  });
});

describe('days and errors', () => {
  const now = new Date(2026, 4, 20, 9, 30).getTime();
  test.each([
    [new Date(2026, 4, 20, 0, 5).getTime(), 'Today'],
    [new Date(2026, 4, 19, 23, 59).getTime(), 'Yesterday'],
  ])('when an entry is from %s, then its day reads "%s"', (at, label) => {
    expect(dayLabel(at, now)).toBe(label);
  });

  test('when an entry is older than yesterday, then its day is a date', () => {
    expect(dayLabel(new Date(2026, 4, 12, 12).getTime(), now)).toMatch(/12/);
  });

  test.each([
    [400, { error: { code: 'INVALID_PAYLOAD', message: 'Invalid request', details: [{ field: 'message', problem: 'must not be empty' }] } }, 'message must not be empty'],
    [404, { error: { code: 'UNKNOWN_CONVERSATION', message: 'No conversation x' } }, 'No conversation x'],
    [0, null, 'The dashboard cannot be reached; check the connection and try again.'],
    [502, null, 'The dashboard answered 502.'],
  ])('when a request answers %s, then the page says what went wrong', (status, body, sentence) => {
    expect(errorSentence(status, body)).toBe(sentence);
  });
});
