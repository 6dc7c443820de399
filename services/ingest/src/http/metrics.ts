import { Counter, Histogram, type Registry } from 'prom-client';

export function createIngestMetrics(registry: Registry) {
  return {
    webhooks: new Counter({
      name: 'bridge_webhooks_total',
      help: 'Webhooks received, by outcome (queued, limited, duplicate, forbidden, unauthorized, invalid, too_large, unsupported, unavailable, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'bridge_webhook_ack_seconds',
      help: 'Time from request to answer for POST /webhooks/braze/whatsapp',
      labelNames: ['status'] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    senderLimited: new Counter({
      name: 'bridge_sender_limited_total',
      help: 'Inbound messages over their sender\'s SENDER_RATE_LIMIT_PER_MINUTE: stored and answered 202, never sent to the AI',
      registers: [registry],
    }),
    recovered: new Counter({
      name: 'bridge_webhook_unescaped_bodies_total',
      help: 'Webhook bodies whose message text was not JSON-escaped and was recovered',
      registers: [registry],
    }),
    droppedFields: new Counter({
      name: 'bridge_webhook_dropped_fields_total',
      help: 'Optional webhook fields left out (not valid JSON, of the wrong type, repeated, or after a broken field) while the message was kept, by field',
      labelNames: ['field'] as const,
      registers: [registry],
    }),
    chatwootWebhooks: new Counter({
      name: 'bridge_chatwoot_webhooks_total',
      help: 'Chatwoot webhooks received, by outcome (queued, duplicate, ignored, unauthorized, forbidden, invalid, too_large, unsupported, unavailable, error)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
