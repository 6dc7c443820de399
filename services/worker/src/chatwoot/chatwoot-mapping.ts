import { z } from 'zod';

/** One call the connector makes for an event, after the contact and conversation are known. */
export type ChatwootOp =
  | { op: 'incoming'; content: string }
  | { op: 'note'; content: string }
  | { op: 'status'; status: 'open' | 'resolved' }
  | { op: 'mark_failed'; messageId: number; reason: string };

/** A transcript entry as agent events carry it (toEventEntry). */
const EventEntry = z.object({
  at: z.string(),
  from: z.enum(['customer', 'bot', 'agent', 'note']),
  text: z.string().optional(),
  kind: z.string().optional(),
  agent_name: z.string().optional(),
  draft: z.boolean().optional(),
  media: z.number().optional(),
  reason: z.string().optional(),
}).passthrough();
export type EventEntry = z.infer<typeof EventEntry>;

const Identity = { conversation_id: z.string(), user_id: z.string().optional(), braze_id: z.string().optional() };
const Source = z.object({ system: z.string(), messageId: z.string() }).optional();

export const HandoffStarted = z.object({
  ...Identity,
  phone: z.string().optional(),
  profile_name: z.string().optional(),
  reason: z.string().optional(),
  transcript: z.array(EventEntry).default([]),
}).passthrough();
export const MessageReceived = z.object({
  ...Identity,
  message: z.object({ text: z.string(), at: z.string(), media_urls: z.array(z.string()).optional(), opt_out: z.boolean().optional() }).passthrough(),
  suggested_reply: z.string().optional(),
}).passthrough();
export const MessageSent = z.object({
  ...Identity,
  message: z.object({ text: z.string(), agent_name: z.string().optional(), at: z.string() }).passthrough(),
  source: Source,
}).passthrough();
export const MessageFailed = z.object({
  ...Identity,
  message: z.object({ text: z.string(), agent_name: z.string().optional() }).passthrough(),
  reason: z.string(),
  detail: z.string().optional(),
  source: Source,
}).passthrough();
export const HandoffEnded = z.object({ ...Identity, by: z.string().optional(), reason: z.string().optional(), until: z.string() }).passthrough();

/** Chatwoot keeps up to 150,000 characters per message; a note of many transcript lines is split well below. */
const NOTE_MAX_CHARS = 20_000;

const ms = (iso: string) => Date.parse(iso);

function lineOf(e: EventEntry): string {
  if (e.from === 'bot') return `${e.draft ? 'Bot (draft, not sent)' : 'Bot'}: ${e.text ?? ''}`;
  if (e.from === 'agent') return `${e.agent_name ?? 'Agent'}: ${e.text ?? ''}`;
  if (e.kind === 'handoff_started') return `Handed to a person${e.reason ? ` (${e.reason})` : ''}.`;
  if (e.kind === 'handoff_ended') return 'Returned to the bot.';
  if (e.kind === 'delivery_failed') return `Not delivered to WhatsApp${e.reason ? `: ${e.reason}` : ''}.`;
  return `(${e.kind ?? 'note'})`;
}

/** What a customer's message shows in Chatwoot: its text, and its media (as links when known). */
export function customerContent(text: string | undefined, media?: { count?: number; urls?: string[] }): string {
  const lines = text?.trim() ? [text] : [];
  if (media?.urls?.length) lines.push(...media.urls.map((u) => `[attachment] ${u}`));
  else if (media?.count) lines.push(`[${media.count} attachment${media.count === 1 ? '' : 's'}]`);
  return lines.join('\n') || '[empty message]';
}

/**
 * The transcript after `after` (ms) as Chatwoot calls, in order: each customer message an incoming
 * message; everything between two customer messages (the bot's replies, drafts, other agents'
 * replies, handoff notes) one private note, so the agent reads who said what and nothing the
 * connector writes can pass for an agent's reply.
 */
export function transcriptOps(entries: EventEntry[], after: number): ChatwootOp[] {
  const ops: ChatwootOp[] = [];
  let note: string[] = [];
  let size = 0;
  const flush = () => {
    if (note.length) ops.push({ op: 'note', content: note.join('\n') });
    note = [];
    size = 0;
  };
  for (const e of entries) {
    if (!(ms(e.at) > after)) continue;
    if (e.from === 'customer') {
      flush();
      ops.push({ op: 'incoming', content: customerContent(e.text, { count: e.media }) });
      continue;
    }
    const line = lineOf(e);
    if (size + line.length > NOTE_MAX_CHARS) flush();
    note.push(line.slice(0, NOTE_MAX_CHARS));
    size += line.length + 1;
  }
  flush();
  return ops;
}

/** The latest time among the entries (ms), or `fallback`. */
export function latestAt(entries: EventEntry[], fallback: number): number {
  return entries.reduce((max, e) => Math.max(max, ms(e.at) || 0), fallback);
}

/** Why an agent's reply did not reach the customer, in words an agent can act on. */
export function undeliveredReason(code: string, detail?: string): string {
  if (code === 'OUTSIDE_WHATSAPP_WINDOW') {
    return 'WhatsApp\'s 24-hour window is closed (the customer last wrote more than a day ago) and the bridge has no template campaign for that (BRAZE_TEMPLATE_CAMPAIGN_ID). The customer has to write first.';
  }
  if (code === 'BRAZE_NOT_SENT' || code === 'UPSTREAM_REJECTED') return `Braze refused it${detail ? `: ${detail}` : '.'}`;
  return `${code}${detail ? `: ${detail}` : ''}`;
}
