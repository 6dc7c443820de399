import { Webhook } from 'standardwebhooks';
import { classifyHttpError, type AgentEvent } from '@bridge/shared';
import { createHttpClient } from '../clients/http-agent';

/** Where agent events go: the agents' own system (a signed webhook), or Chatwoot. */
export interface AgentEventSink {
  /** a lane name: lowercase letters */
  name: string;
  deliver(event: AgentEvent): Promise<void>;
}

export interface WebhookSinkConfig {
  url: string;
  /** whsec_<base64> secrets; every one signs, so a receiver may verify with any (rotation) */
  secrets: string[];
  timeoutMs: number;
}

/**
 * Events to AGENT_WEBHOOK_URL per the Standard Webhooks specification
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * webhook-id (the event id, the same on every retry), webhook-timestamp (seconds, of this attempt),
 * webhook-signature (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per secret, space-separated).
 */
export function createWebhookSink(config: WebhookSinkConfig): AgentEventSink {
  const http = createHttpClient(config.url, config.timeoutMs, {});
  const signers = config.secrets.map((s) => new Webhook(s));
  return {
    name: 'webhook',
    async deliver(event) {
      const body = JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
      // the receiver checks this against its own clock: always the wall time of the attempt
      const at = new Date(Math.floor(Date.now() / 1000) * 1000);
      const signature = signers.map((w) => w.sign(event.id, at, body)).join(' ');
      try {
        await http.post('', body, {
          headers: { 'webhook-id': event.id, 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': signature },
          transformRequest: [(data: unknown) => data],
        });
      } catch (err) {
        throw classifyHttpError(err, 'agents');
      }
    },
  };
}
