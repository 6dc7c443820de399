import { conversationIdFor, conversationKeys, readEntry } from '@bridge/shared';
import { aiServer, imagesOf, mediaServer, multipartField, textOf, uploadedFile } from '../../../../../test/helpers/ai-stand-ins';
import { startPipeline, type Pipeline } from '../../../../../test/helpers/pipeline';
import { replyText, startStandIn, type StandIn } from '../../../../../test/helpers/stand-in-server';
import { assertionRedis } from '../../../../../test/helpers/test-env';

const MEDIA = { MEDIA_ALLOW_PRIVATE: 'true' };
const chat = (p: Pipeline) => p.ai.requests.filter((r) => r.path.endsWith('/chat/completions'));
const transcriptions = (p: Pipeline) => p.ai.requests.filter((r) => r.path.endsWith('/audio/transcriptions'));
const lastUser = (p: Pipeline, i = -1) => chat(p).at(i)!.body.messages.at(-1).content;
const sends = (p: Pipeline) => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));

async function transcript(p: Pipeline) {
  const redis = assertionRedis();
  const rows = await redis.lrange(conversationKeys(p.prefix, conversationIdFor({ external_user_id: 'user-1' })).history, 0, -1);
  redis.disconnect();
  return rows.map((r) => readEntry(r)!);
}

describe('voice notes and images, on a real Redis with stand-in AI, Braze and media host', () => {
  let p: Pipeline;
  let media: StandIn;
  beforeEach(async () => { media = await startStandIn(mediaServer); });
  afterEach(async () => { await p.stop(); await media.close(); });

  const voice = (words: string) => `${media.url}/media/voice.ogg?say=${encodeURIComponent(words)}`;

  test('when a voice note arrives with AI_TRANSCRIBE=true, then it is transcribed and the transcript is answered and kept as transcribed', async () => {
    p = await startPipeline({ ...MEDIA, AI_TRANSCRIBE: 'true' });
    p.ai.setScript(aiServer());
    await p.replied({ message: '', media_urls: [voice('Quero saber do meu pedido')] });

    expect(transcriptions(p)).toHaveLength(1);
    expect(transcriptions(p)[0]!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(transcriptions(p)[0]!.headers.authorization).toBe('Bearer sk-test-ai-key');
    expect(multipartField(transcriptions(p)[0]!.body, 'model')).toBe('whisper-1');
    expect(uploadedFile(transcriptions(p)[0]!.body)).toBe('Quero saber do meu pedido');
    expect(lastUser(p)).toBe('[Voice message, transcribed] Quero saber do meu pedido');
    expect(sends(p)).toEqual(['echo: [Voice message, transcribed] Quero saber do meu pedido']);
    expect((await transcript(p))[0]).toMatchObject({ who: 'customer', text: 'Quero saber do meu pedido', transcribed: true, media: 1, mediaUrls: [voice('Quero saber do meu pedido')] });
  });

  test('when the voice note\'s download answers 404, then the AI is told it could not be downloaded and the customer is still answered', async () => {
    p = await startPipeline({ ...MEDIA, AI_TRANSCRIBE: 'true' });
    p.ai.setScript(aiServer());
    const id = await p.replied({ message: '', media_urls: [`${media.url}/media/missing.ogg`] });

    expect(transcriptions(p)).toHaveLength(0);
    expect(lastUser(p)).toBe('[The customer sent a voice message that could not be downloaded.]');
    expect(sends(p)).toHaveLength(1);
    expect(await (await p.worker.generateQueue.getJob(id))!.getState()).toBe('completed');
    expect(await p.worker.registry.metrics()).toMatch(/bridge_media_total\{kind="audio",result="download_failed",service="worker"\} 1/);
  });

  test('when the voice note says an opt-out word, then the transcript is the message and nothing is answered', async () => {
    p = await startPipeline({ ...MEDIA, AI_TRANSCRIBE: 'true' });
    p.ai.setScript(aiServer());
    const id = await p.post({ message: '', media_urls: [voice('Stop.')] });

    expect(await p.finished('generate', id)).toMatchObject({ silent: 'opt_out', parts: 0 });
    expect(chat(p)).toHaveLength(0);
  });

  test('when the transcription server cannot transcribe (4xx), then the AI is told so instead of losing the message', async () => {
    p = await startPipeline({ ...MEDIA, AI_TRANSCRIBE: 'true' });
    p.ai.setScript((req) => (req.path.endsWith('/audio/transcriptions') ? { status: 400, body: { error: { message: 'Invalid file format.' } } } : aiServer()(req)));
    await p.replied({ message: '', media_urls: [voice('hola')] });

    expect(lastUser(p)).toBe('[The customer sent a voice message that could not be transcribed.]');
    expect(sends(p)).toHaveLength(1);
  });

  test('when the job is re-run after the voice note was transcribed, then it is not transcribed again', async () => {
    p = await startPipeline({ ...MEDIA, AI_TRANSCRIBE: 'true' });
    const standIn = aiServer();
    let chats = 0;
    p.ai.setScript((req) => (req.path.endsWith('/chat/completions') && chats++ === 0 ? { status: 503 } : standIn(req)));
    await p.replied({ message: '', media_urls: [voice('hola')] });

    expect(transcriptions(p)).toHaveLength(1);
    expect(chat(p)).toHaveLength(2);
    expect(sends(p)).toEqual(['echo: [Voice message, transcribed] hola']);
  });

  test('when an image arrives with AI_VISION=true, then the model gets it as an image_url part next to the caption', async () => {
    p = await startPipeline({ ...MEDIA, AI_VISION: 'true' });
    p.ai.setScript(aiServer());
    await p.replied({ message: 'is this damaged?', media_urls: [`${media.url}/media/photo.png`] });

    const content = lastUser(p);
    expect(textOf(content)).toBe('is this damaged?');
    expect(imagesOf(content)).toEqual([expect.stringMatching(/^data:image\/png;base64,iVBORw0KGgo/)]);
    expect(sends(p)).toEqual(['echo: is this damaged? [1 image]']);
  });

  test('when other media arrive with AI_VISION=true, then they are described in words', async () => {
    p = await startPipeline({ ...MEDIA, AI_VISION: 'true' });
    p.ai.setScript(aiServer());
    await p.replied({ message: '', media_urls: [`${media.url}/media/manual.pdf`, voice('hi')] });

    expect(lastUser(p)).toBe('[The customer sent a document (manual.pdf) that you cannot open.]\n[The customer sent a voice message that you cannot listen to.]');
  });

  test('when media come from a private address without MEDIA_ALLOW_PRIVATE, then they are not fetched and the AI is told', async () => {
    p = await startPipeline({ AI_VISION: 'true' });
    p.ai.setScript(aiServer());
    await p.replied({ message: 'look', media_urls: [`${media.url}/media/photo.png`] });

    expect(media.requests).toHaveLength(0);
    expect(lastUser(p)).toBe('look\n[The customer sent an image that could not be downloaded.]');
  });

  test('when neither AI_TRANSCRIBE nor AI_VISION is on, then media are not downloaded and the AI hears how many there were', async () => {
    p = await startPipeline(MEDIA);
    p.ai.setScript(aiServer());
    await p.replied({ message: '', media_urls: [voice('hi')] });

    expect(media.requests).toHaveLength(0);
    expect(lastUser(p)).toBe('[The customer attached 1 media file that you cannot see.]');
  });
});
