import type { AppError, Logger } from '@bridge/shared';
import type { TranscriptionClient } from '../clients/transcription.client';
import type { WorkerMetrics } from '../metrics';
import { kindFromUrl, type Fetched, type MediaFetcher, type MediaKind } from './media';

/** A customer message as the turn sees it once its media has been looked at. */
export interface MessageInput {
  /** what routes, flows and the transcript see: the customer's text, or the transcript of their voice message */
  text: string;
  transcribed: boolean;
  /** images for the AI, as data: URLs */
  images: string[];
  /** the media the AI cannot see, in words; undefined when media were not looked at (the AI hears how many there were) */
  notes?: string[];
}

export interface MessageInputDeps {
  fetchMedia: MediaFetcher;
  /** set when AI_TRANSCRIBE=true */
  transcriber?: TranscriptionClient;
  vision: boolean;
  metrics: WorkerMetrics;
  log: Logger;
}

function fileNameOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
  } catch {
    return '';
  }
}
const NOUN: Record<MediaKind, string> = { audio: 'a voice message', image: 'an image', video: 'a video', document: 'a document', other: 'a file' };
const CANNOT: Record<MediaKind, string> = { audio: 'you cannot listen to', image: 'you cannot see', video: 'you cannot watch', document: 'you cannot open', other: 'you cannot open' };

/**
 * Looks at a message's media before the turn decides: voice notes become the message text
 * (AI_TRANSCRIBE), images become content parts for the AI (AI_VISION), everything else is put in
 * words. A download or transcription that fails is described, never a lost message; only a
 * transcription server that may recover (5xx, timeout) fails the attempt, so the job retries.
 * `transcripts` (by media index) are the ones an earlier run of the job recorded.
 */
export function createMessageInput(deps: MessageInputDeps) {
  const wants = (kind: MediaKind) => (kind === 'audio' && Boolean(deps.transcriber)) || (kind === 'image' && deps.vision);
  const count = (kind: MediaKind, result: string) => deps.metrics.media.inc({ kind, result });

  async function transcribe(media: Extract<Fetched, { ok: true }>): Promise<{ text?: string; failed?: string }> {
    try {
      const text = await deps.transcriber!.transcribe({ bytes: media.bytes!, contentType: media.contentType, filename: media.filename });
      return { text };
    } catch (err) {
      const e = err as AppError;
      if (e.retryable) throw err;
      deps.log.warn('a voice message could not be transcribed; the AI is told so (check AI_TRANSCRIBE_BASE_URL and AI_TRANSCRIBE_MODEL)', { code: e.code, error: e.message });
      return { failed: e.message };
    }
  }

  return {
    /** true when the message's media need looking at (a feature is on and there are media) */
    applies: (mediaUrls: string[] | undefined) => Boolean(mediaUrls?.length) && (Boolean(deps.transcriber) || deps.vision),

    /** `transcripts` by media index: recorded by an earlier run; `fresh` the ones made now */
    async prepare(text: string, mediaUrls: string[], transcripts: Record<string, string> = {}): Promise<{ input: MessageInput; fresh: Record<string, string> }> {
      const heard: string[] = [];
      const notes: string[] = [];
      const images: string[] = [];
      const fresh: Record<string, string> = {};
      for (const [i, url] of mediaUrls.entries()) {
        if (transcripts[i] !== undefined) {
          if (transcripts[i]) heard.push(transcripts[i]);
          else notes.push('[The customer sent a voice message without words.]');
          continue;
        }
        const guess = kindFromUrl(url);
        // the extension already says it is a kind nobody looks into: no download
        const media: Fetched = guess !== 'other' && !wants(guess) ? { ok: true, kind: guess, contentType: '', filename: fileNameOf(url) } : await deps.fetchMedia(url, wants);
        if (!media.ok) {
          count(media.kind, 'download_failed');
          deps.log.warn('customer media could not be downloaded; the AI is told so', { kind: media.kind, reason: media.reason });
          notes.push(`[The customer sent ${NOUN[media.kind]} that could not be downloaded.]`);
        } else if (media.kind === 'audio' && deps.transcriber) {
          const { text: said, failed } = await transcribe(media);
          if (failed !== undefined) {
            count('audio', 'transcription_failed');
            notes.push('[The customer sent a voice message that could not be transcribed.]');
            continue;
          }
          count('audio', 'transcribed');
          fresh[i] = said!;
          if (said) heard.push(said);
          else notes.push('[The customer sent a voice message without words.]');
        } else if (media.kind === 'image' && deps.vision) {
          count('image', 'shown');
          images.push(`data:${media.contentType};base64,${media.bytes!.toString('base64')}`);
        } else {
          count(media.kind, 'described');
          notes.push(`[The customer sent ${NOUN[media.kind]}${media.kind === 'document' && media.filename ? ` (${media.filename})` : ''} that ${CANNOT[media.kind]}.]`);
        }
      }
      const spoken = heard.join('\n');
      const input: MessageInput = {
        text: spoken ? [text.trim(), spoken].filter(Boolean).join('\n') : text,
        transcribed: spoken !== '',
        images,
        notes,
      };
      return { input, fresh };
    },
  };
}
export type MessageInputPreparer = ReturnType<typeof createMessageInput>;
