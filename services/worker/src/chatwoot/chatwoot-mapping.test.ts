import { customerContent, latestAt, transcriptOps, undeliveredReason, type EventEntry } from './chatwoot-mapping';
import { toE164 } from './chatwoot-sink';

const t = (second: number) => new Date(Date.UTC(2026, 8, 20, 10, 0, second)).toISOString();
const entries: EventEntry[] = [
  { at: t(1), from: 'customer', text: 'hi, my parcel is late' },
  { at: t(2), from: 'bot', text: 'echo: hi, my parcel is late' },
  { at: t(3), from: 'bot', text: 'Anything else?', draft: true },
  { at: t(4), from: 'customer', text: 'AGENT' },
  { at: t(4), from: 'note', kind: 'handoff_started', reason: 'human' },
];

describe('Chatwoot mapping', () => {
  test('when a transcript is mirrored, then each customer message is incoming and what came between is one private note, in order', () => {
    expect(transcriptOps(entries, 0)).toEqual([
      { op: 'incoming', content: 'hi, my parcel is late' },
      { op: 'note', content: 'Bot: echo: hi, my parcel is late\nBot (draft, not sent): Anything else?' },
      { op: 'incoming', content: 'AGENT' },
      { op: 'note', content: 'Handed to a person (human).' },
    ]);
  });

  test('when part of the transcript is in Chatwoot already, then only what came later is posted', () => {
    expect(transcriptOps(entries, Date.parse(t(2)))).toEqual([
      { op: 'note', content: 'Bot (draft, not sent): Anything else?' },
      { op: 'incoming', content: 'AGENT' },
      { op: 'note', content: 'Handed to a person (human).' },
    ]);
    expect(latestAt(entries, 0)).toBe(Date.parse(t(4)));
    expect(latestAt([], 17)).toBe(17);
  });

  test('when the bot said a lot between two customer messages, then the note is split before it grows too long for one message', () => {
    const long = Array.from({ length: 12 }, (_, i): EventEntry => ({ at: t(10 + i), from: 'bot', text: 'x'.repeat(4096) }));
    const ops = transcriptOps(long, 0);
    expect(ops.length).toBeGreaterThan(1);
    expect(ops.every((o) => o.op === 'note' && o.content.length <= 20_000)).toBe(true);
    expect(ops.map((o) => (o.op === 'note' ? o.content.split('\n').length : 0)).reduce((a, b) => a + b)).toBe(12);
  });

  it.each([
    [{ from: 'agent', text: 'On it', agent_name: 'Maria' }, 'Maria: On it'],
    [{ from: 'agent', text: 'On it' }, 'Agent: On it'],
    [{ from: 'note', kind: 'handoff_ended' }, 'Returned to the bot.'],
    [{ from: 'note', kind: 'delivery_failed', reason: 'OUTSIDE_WHATSAPP_WINDOW: last inbound none on record' }, 'Not delivered to WhatsApp: OUTSIDE_WHATSAPP_WINDOW: last inbound none on record.'],
    [{ from: 'note', kind: 'something_new' }, '(something_new)'],
  ] as Array<[Record<string, unknown>, string]>)('when the transcript holds %j, then the note reads "%s"', (entry, line) => {
    expect(transcriptOps([{ at: t(1), ...entry } as EventEntry], 0)).toEqual([{ op: 'note', content: line }]);
  });

  it.each([
    ['Hello', undefined, 'Hello'],
    ['', { count: 2 }, '[2 attachments]'],
    ['look', { count: 1 }, 'look\n[1 attachment]'],
    ['look', { urls: ['https://cdn.example/a.jpg'] }, 'look\n[attachment] https://cdn.example/a.jpg'],
    ['  ', undefined, '[empty message]'],
  ] as Array<[string, { count?: number; urls?: string[] } | undefined, string]>)('when the customer sent "%s" with %j, then Chatwoot shows "%s"', (text, media, shown) => {
    expect(customerContent(text, media)).toBe(shown);
  });

  it.each([
    ['OUTSIDE_WHATSAPP_WINDOW', 'last inbound 2026-09-19T10:00:00.000Z', /24-hour window is closed.*BRAZE_TEMPLATE_CAMPAIGN_ID.*write first/],
    ['UPSTREAM_REJECTED', 'braze answered HTTP 400: invalid campaign', /^Braze refused it: braze answered HTTP 400: invalid campaign$/],
    ['BRAZE_NOT_SENT', undefined, /^Braze refused it\.$/],
    ['UNEXPECTED', 'boom', /^UNEXPECTED: boom$/],
  ])('when a reply failed with %s, then the agent reads why', (code, detail, reads) => {
    expect(undeliveredReason(code, detail)).toMatch(reads);
  });

  it.each([
    ['+15550000001', '+15550000001'],
    ['15550000001', '+15550000001'],
    ['+55 (11) 99999-0000', '+5511999990000'],
    ['0123', undefined],
    ['+1234567890123456', undefined],
    ['not a number', undefined],
    [undefined, undefined],
  ])('when the phone number is %s, then Chatwoot gets %s', (phone, e164) => {
    expect(toE164(phone)).toBe(e164);
  });
});
