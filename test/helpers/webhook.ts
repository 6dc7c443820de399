import request from 'supertest';
import { WEBHOOK_PATH } from '../../services/ingest/src/app';
import { WEBHOOK_SECRET } from './test-env';

/** The webhook body of docs/braze-setup.md as Braze renders it with `| json_escape`. */
export function buildWebhookBody(overrides: Record<string, unknown> = {}) {
  const { message = 'Hello there', ...fields } = overrides;
  // message last, as the template in docs/braze-setup.md has it
  return { braze_id: 'braze-1', user_id: 'user-1', phone_number: '+15550000001', ...fields, message };
}

/** The same template rendered WITHOUT json_escape: the text goes in verbatim. */
export function verbatimBody(text: string, ids = { braze_id: 'braze-1', user_id: 'user-1', phone_number: '+15550000001' }) {
  return `{\n  "braze_id": "${ids.braze_id}",\n  "user_id": "${ids.user_id}",\n  "phone_number": "${ids.phone_number}",\n  "message": "${text}"\n}`;
}

/**
 * POSTs a webhook to an in-process ingest app with supertest: JSON content type, and the secret
 * header unless `headers` replaces it (pass {} to send none). A string body is sent as is.
 */
export function postWebhook(app: Parameters<typeof request>[0], body: unknown, headers: Record<string, string> = { 'X-Webhook-Secret': WEBHOOK_SECRET }) {
  const req = request(app).post(WEBHOOK_PATH).set('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}
