import { createHmac } from 'node:crypto';
import { createChatwootAuth } from './chatwoot-auth';

const SECRET = 'inbox-secret-aaaaaaaaaaaa';
const OLD_SECRET = 'inbox-secret-bbbbbbbbbbbb';
const TOKEN = 'path-token-0123456789abcdefgh';
const NOW = 1_789_899_302_000;
const body = Buffer.from('{"event":"message_created","id":4711,"content":"Olá"}');

/** Signed as Chatwoot signs, written out here rather than taken from the code under test. */
const sign = (secret: string, ts: string, raw: Buffer = body) => `sha256=${createHmac('sha256', secret).update(Buffer.concat([Buffer.from(`${ts}.`), raw])).digest('hex')}`;
const ts = (offsetSeconds = 0) => String(NOW / 1000 + offsetSeconds);

describe('Chatwoot webhook authentication', () => {
  const both = createChatwootAuth({ secrets: [SECRET, OLD_SECRET], tokens: [TOKEN], clock: () => NOW });
  const secretOnly = createChatwootAuth({ secrets: [SECRET], clock: () => NOW });
  const tokenOnly = createChatwootAuth({ tokens: [TOKEN], clock: () => NOW });

  it.each([
    ['a signature with the secret', both, { signature: sign(SECRET, ts()), timestamp: ts() }, { ok: true, via: 'signature' }],
    ['a signature with the other secret of a rotation list', both, { signature: sign(OLD_SECRET, ts()), timestamp: ts() }, { ok: true, via: 'signature' }],
    ['a signature in upper-case hex', secretOnly, { signature: sign(SECRET, ts()).toUpperCase().replace('SHA256=', 'sha256='), timestamp: ts() }, { ok: true, via: 'signature' }],
    ['a timestamp 4 minutes old', secretOnly, { signature: sign(SECRET, ts(-240)), timestamp: ts(-240) }, { ok: true, via: 'signature' }],
    ['the token in the path', tokenOnly, { pathToken: TOKEN }, { ok: true, via: 'token' }],
    ['the token in the path while a secret is set too', both, { pathToken: TOKEN }, { ok: true, via: 'token' }],
  ])('when it carries %s, then it is accepted', (_what, check, req, expected) => {
    expect(check({ raw: body, ...req })).toEqual(expected);
  });

  it.each([
    ['a signature with another secret', secretOnly, { signature: sign('someone-elses-secret', ts()), timestamp: ts() }, 'INVALID_SIGNATURE'],
    ['a signature of another body', secretOnly, { signature: sign(SECRET, ts(), Buffer.from('{"event":"message_created","id":4712}')), timestamp: ts() }, 'INVALID_SIGNATURE'],
    ['a signature made for another timestamp', secretOnly, { signature: sign(SECRET, ts()), timestamp: ts(1) }, 'INVALID_SIGNATURE'],
    ['a signature without its sha256= prefix', secretOnly, { signature: sign(SECRET, ts()).slice(7), timestamp: ts() }, 'INVALID_SIGNATURE'],
    ['a valid signature 6 minutes old', secretOnly, { signature: sign(SECRET, ts(-360)), timestamp: ts(-360) }, 'STALE_TIMESTAMP'],
    ['a valid signature 6 minutes in the future', secretOnly, { signature: sign(SECRET, ts(360)), timestamp: ts(360) }, 'STALE_TIMESTAMP'],
    ['a valid signature over a timestamp that is not a number', secretOnly, { signature: sign(SECRET, 'soon'), timestamp: 'soon' }, 'STALE_TIMESTAMP'],
    ['no signature', secretOnly, { timestamp: ts() }, 'UNAUTHORIZED'],
    ['no timestamp', secretOnly, { signature: sign(SECRET, ts()) }, 'UNAUTHORIZED'],
    ['a wrong token in the path', both, { pathToken: 'path-token-0123456789abcdefgX', signature: sign(SECRET, ts()), timestamp: ts() }, 'UNAUTHORIZED'],
    ['a token in the path where none is configured', secretOnly, { pathToken: TOKEN }, 'UNAUTHORIZED'],
    ['a valid signature where only a token is configured', tokenOnly, { signature: sign(SECRET, ts()), timestamp: ts() }, 'UNAUTHORIZED'],
  ])('when it carries %s, then it is refused with %s', (_what, check, req, code) => {
    const result = check({ raw: body, ...req });
    expect(result).toMatchObject({ ok: false, code });
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });
});
