import fc from 'fast-check';
import {
  anyInput, entriesBeforeCustomerText, entriesBody, idString, jsonEscape, mangledBody, ownRecipient, readWebhook, renderedBody,
  verbatimReading, type Entry,
} from '../../../../test/helpers/webhook-arbitraries';
import type { UnknownSenderRecipient } from './inbound-message';

// fast-check prints the seed and the shrunk counterexample of a failure; pass them to fc.assert to replay it
const mode = fc.constantFrom<UnknownSenderRecipient>('braze_id', 'user_alias');
const runs = (numRuns: number) => ({ numRuns });

describe('webhook body properties', () => {
  test('when any input arrives (bytes, JSON, rendered, broken or hostile bodies), then it is accepted or refused as a client error, never a crash', () => {
    const input = fc.oneof(anyInput, renderedBody.map((r) => r.raw), entriesBody.map((e) => e.raw), mangledBody);
    fc.assert(
      fc.property(input, mode, (raw, unknownSender) => {
        const read = readWebhook(raw, unknownSender);
        if (!read.accepted) expect(read.error.httpStatus).toBe(400);
      }),
      runs(2000),
    );
  });

  test('when a template is rendered with hostile text, then an accepted body is addressed to the template\'s own ids only', () => {
    fc.assert(
      fc.property(renderedBody, mode, (body, unknownSender) => {
        const read = readWebhook(body.raw, unknownSender);
        // a phone the body does not make clear is dropped: the reply then goes by the body's own braze_id
        const own = [ownRecipient(body.ids, unknownSender), ownRecipient(body.ids, 'braze_id')];
        if (read.accepted) {
          expect(own).toContainEqual(read.inbound.recipient);
          expect(read.inbound.messageId).toBeUndefined();
        } else {
          expect(read.error.httpStatus).toBe(400);
        }
      }),
      runs(1500),
    );
  });

  test('when fields come in any order, twice, as numbers, broken or pasted in, then an accepted body is addressed by the ids written before any customer text, once each', () => {
    fc.assert(
      fc.property(entriesBody, ({ raw, entries }) => {
        const read = readWebhook(raw);
        if (!read.accepted) return;
        const own = ownIdsBeforeMessage(entries);
        expect(own).not.toBe('ambiguous');
        if (own === 'ambiguous') return;
        expect(read.inbound.recipient).toEqual(ownRecipient(own, 'braze_id'));
        expect(read.inbound.messageId).toBe(own.message_id || undefined);
      }),
      runs(2000),
    );
  });

  test('when a well-formed message arrives, then it is accepted with its text exactly as sent', () => {
    fc.assert(
      fc.property(renderedBody, mode, (body, unknownSender) => {
        const read = readWebhook(body.raw, unknownSender);
        if (!ownRecipient(body.ids, unknownSender)) return;
        const nameIsPlain = !/["\\\u0000-\u001f]/.test(body.name);
        if (body.template === 'readme' || (body.template === 'readme-unescaped-name' && nameIsPlain)) {
          expect(read).toMatchObject({ accepted: true, recovered: false, dropped: [], inbound: { text: body.text } });
        } else if (body.template === 'guide') {
          // pasted-in text that happens to be a valid JSON string reads as one: no reader can tell them apart
          expect(read).toMatchObject({ accepted: true, inbound: { text: verbatimReading(body.text) } });
        } else if (read.accepted && !/message|\\u/.test(body.name)) {
          // a broken name is dropped, the text kept (unless the name itself spells a "message" key)
          expect(read.inbound.text).toBe(body.text);
        }
      }),
      runs(1500),
    );
  });

  test('when ids are written as numbers of any length, then they are kept digit for digit, or refused naming the field when they have a fraction', () => {
    const numberOrId = fc.oneof(
      fc.bigInt({ min: 0n, max: 10n ** 30n }).map((n) => ({ json: String(n), id: String(n) as string | null })),
      idString.map((id) => ({ json: JSON.stringify(id), id: id as string | null })),
      fc.constantFrom('1.5', '1e21', '9007199254740993.0', '4E2').map((json) => ({ json, id: null as string | null })),
    );
    fc.assert(
      fc.property(fc.tuple(numberOrId, numberOrId, numberOrId), fc.string(), (ids, text) => {
        const [braze, user, messageId] = ids;
        const raw = `{"braze_id": ${braze.json}, "user_id": ${user.json}, "message_id": ${messageId.json}, "message": "${jsonEscape(text)}"}`;
        const read = readWebhook(raw);
        const fraction = (['braze_id', 'user_id', 'message_id'] as const).filter((_k, i) => ids[i]!.id === null);
        if (fraction.length > 0) {
          expect(read.accepted).toBe(false);
          if (!read.accepted) expect(read.error.details).toEqual([expect.objectContaining({ field: fraction[0] })]);
          return;
        }
        expect(read).toMatchObject({ accepted: true, inbound: { recipient: { external_user_id: user.id }, messageId: messageId.id, text } });
      }),
      runs(800),
    );
  });
});

/** The ids a body's template wrote before any customer text, or 'ambiguous' when one is written twice or cannot be an id. */
function ownIdsBeforeMessage(entries: Entry[]): { user_id?: string; braze_id?: string; message_id?: string } | 'ambiguous' {
  const before = entriesBeforeCustomerText(entries);
  const own: Record<string, string> = {};
  for (const key of ['user_id', 'braze_id', 'message_id']) {
    const written = before.filter((e) => e.key === key);
    if (written.length > 1 || written[0]?.id === null) return 'ambiguous';
    if (written[0]?.id !== undefined) own[key] = written[0].id;
  }
  return own;
}
