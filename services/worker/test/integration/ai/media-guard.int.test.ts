import { createMediaFetcher } from '../../../src/ai/media';
import { mediaServer } from '../../../../../test/helpers/ai-stand-ins';
import { startStandIn, type Reply, type StandIn } from '../../../../../test/helpers/stand-in-server';

const settings = { maxBytes: 1024, timeoutMs: 2_000, allowPrivate: false };
const everything = () => true;

describe('the media download guard, against real HTTP servers on 127.0.0.1', () => {
  let media: StandIn;
  beforeEach(async () => { media = await startStandIn(mediaServer); });
  afterEach(() => media.close());

  it.each([
    ['http:// (not https)', () => `${media.url}/media/photo.png`, 'not_https'],
    ['a loopback address', () => 'https://127.0.0.1:1/media/photo.png', 'private_address'],
    ['a name that resolves to loopback', () => 'https://localhost:1/media/photo.png', 'private_address'],
    ['a private address', () => 'https://10.0.0.7/media/photo.png', 'private_address'],
    ['the cloud metadata address (link-local)', () => 'https://169.254.169.254/latest/meta-data', 'private_address'],
    ['an IPv6 loopback', () => 'https://[::1]:1/x.png', 'private_address'],
    ['an IPv4-mapped IPv6 loopback', () => 'https://[::ffff:127.0.0.1]:1/x.png', 'private_address'],
    ['a file: URL', () => 'file:///etc/passwd', 'bad_url'],
  ])('when the URL is %s, then it is refused before any connection', async (_case, url, reason) => {
    const result = await createMediaFetcher(settings)(url(), everything);
    expect(result).toMatchObject({ ok: false, reason });
    expect(media.requests).toHaveLength(0);
  });

  test('when private targets are allowed (tests), then the media is downloaded with its type', async () => {
    const result = await createMediaFetcher({ ...settings, allowPrivate: true })(`${media.url}/media/voice.ogg?say=hello`, everything);
    expect(result).toEqual({ ok: true, kind: 'audio', contentType: 'audio/ogg', filename: 'voice.ogg', bytes: Buffer.from('hello') });
  });

  test('when the kind is not wanted, then only the headers are read', async () => {
    const result = await createMediaFetcher({ ...settings, allowPrivate: true })(`${media.url}/media/manual.pdf`, (kind) => kind === 'audio');
    expect(result).toEqual({ ok: true, kind: 'document', contentType: 'application/pdf', filename: 'manual.pdf' });
  });

  test('when the file is larger than MEDIA_MAX_BYTES, then the download stops and says so', async () => {
    const result = await createMediaFetcher({ ...settings, allowPrivate: true })(`${media.url}/media/voice.ogg?say=${'a'.repeat(2_000)}`, everything);
    expect(result).toMatchObject({ ok: false, kind: 'audio', reason: 'too_large' });
  });

  test('when the server sends no Content-Length and streams past the cap, then the stream is cut at the cap', async () => {
    media.setScript(() => ({ raw: 'x'.repeat(5_000), headers: { 'Content-Type': 'audio/ogg', 'Transfer-Encoding': 'chunked' } }));
    const result = await createMediaFetcher({ ...settings, allowPrivate: true })(`${media.url}/a.ogg`, everything);
    expect(result).toMatchObject({ ok: false, reason: 'too_large' });
  });

  test('when the server never answers, then the download times out', async () => {
    media.setScript(() => ({ hang: true }));
    const result = await createMediaFetcher({ ...settings, allowPrivate: true, timeoutMs: 200 })(`${media.url}/slow.ogg`, everything);
    expect(result).toEqual({ ok: false, kind: 'audio', reason: 'timeout' });
  });

  test('when the media is gone (404), then the result says so', async () => {
    const result = await createMediaFetcher({ ...settings, allowPrivate: true })(`${media.url}/media/missing.ogg`, everything);
    expect(result).toEqual({ ok: false, kind: 'audio', reason: 'http_404' });
  });

  test('when the media redirects, then the redirect is followed (each hop checked), at most 3 times', async () => {
    const fetchMedia = createMediaFetcher({ ...settings, allowPrivate: true });
    media.setScript((req): Reply => {
      const hop = Number(new URL(req.path, 'http://x').searchParams.get('hop') ?? 0);
      return hop < 3 ? { status: 302, headers: { Location: `/next.ogg?hop=${hop + 1}` } } : { raw: `after ${hop}`, headers: { 'Content-Type': 'audio/ogg' } };
    });
    expect(await fetchMedia(`${media.url}/start.ogg`, everything)).toMatchObject({ ok: true, bytes: Buffer.from('after 3') });
    expect(await fetchMedia(`${media.url}/start.ogg?hop=-1`, everything)).toMatchObject({ ok: false, reason: 'http_302' });
  });
});
