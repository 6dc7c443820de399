import { UpstreamError, classifyHttpError } from '@bridge/shared';
import { z } from 'zod';
import type { WorkerConfig } from '../config';
import type { AiObservation } from './ai.client';
import { createHttpClient } from './http-agent';

const Transcription = z.object({ text: z.string() });

export interface Audio {
  bytes: Buffer;
  contentType: string;
  /** servers tell the format by the file name's extension */
  filename: string;
}

/** OpenAI-compatible POST /audio/transcriptions (multipart). One request, no retries of its own. */
export function createTranscriptionClient(config: NonNullable<WorkerConfig['ai']['transcribe']>, observe: (o: AiObservation) => void = () => undefined) {
  const http = createHttpClient(config.baseUrl, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async transcribe(audio: Audio): Promise<string> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(audio.bytes)], { type: audio.contentType }), audio.filename);
      form.append('model', config.model);
      form.append('response_format', 'json');
      let data: unknown;
      try {
        // the multipart boundary goes in the Content-Type axios writes for FormData
        data = (await http.post('/audio/transcriptions', form, { headers: { 'Content-Type': 'multipart/form-data' } })).data;
      } catch (err) {
        const e = classifyHttpError(err, 'ai');
        observe({ status: e.status ? String(e.status) : e.code, seconds: seconds() });
        throw e;
      }
      const parsed = Transcription.safeParse(data);
      if (!parsed.success) {
        observe({ status: 'bad_response', seconds: seconds() });
        throw new UpstreamError('ai', 'AI_BAD_RESPONSE', 'The transcription server answered 2xx without {"text": ...}', { retryable: true });
      }
      observe({ status: '200', seconds: seconds() });
      return parsed.data.text.trim();
    },
  };
}
export type TranscriptionClient = ReturnType<typeof createTranscriptionClient>;
