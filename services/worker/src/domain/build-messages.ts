import type { GenerateReplyJob } from '@bridge/shared';
import type { ChatMessage } from '../clients/ai.client';

/** What the AI sees of the customer's message; media it cannot open is described, not dropped. */
export function userContent(job: Pick<GenerateReplyJob, 'text' | 'mediaCount'>): string {
  const text = job.text.trim();
  if (job.mediaCount === 0) return text || '[The customer sent a message without text (an image, sticker, location or similar) that you cannot see.]';
  const media = `[The customer attached ${job.mediaCount} media file${job.mediaCount === 1 ? '' : 's'} that you cannot see.]`;
  return text ? `${text}\n${media}` : media;
}

export function buildMessages(systemPrompt: string, history: ChatMessage[], user: string): ChatMessage[] {
  return [{ role: 'system', content: systemPrompt }, ...history, { role: 'user', content: user }];
}
