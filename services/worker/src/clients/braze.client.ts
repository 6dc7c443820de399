import { UpstreamError, classifyHttpError, readBrazeRateLimit, type RateLimitPool, type Recipient, type ResponseHeaders } from '@bridge/shared';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

export interface BrazeObservation {
  status: string;
  seconds: number;
  recipients: number;
  /** X-RateLimit-Remaining / X-RateLimit-Reset of the workspace's hourly REST pool, when sent */
  rateLimit?: RateLimitPool;
}

export interface ReplyItem {
  recipient: Recipient;
  reply: string;
}

interface TriggerResponse {
  message?: unknown;
  notice?: unknown;
  errors?: unknown;
  dispatch_id?: unknown;
}

/**
 * POST /campaigns/trigger/send for up to 50 recipients of the configured API-triggered
 * campaign, each with its own trigger_properties.
 */
export function createBrazeClient(config: WorkerConfig['braze'], observe: (o: BrazeObservation) => void = () => undefined) {
  const http = createHttpClient(config.endpoint, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async send(items: ReplyItem[]): Promise<{ dispatchId?: string; warnings?: unknown }> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let body: TriggerResponse;
      try {
        const res = await http.post<TriggerResponse>('/campaigns/trigger/send', {
          campaign_id: config.campaignId,
          recipients: items.map(({ recipient, reply }) => ({ ...recipient, trigger_properties: { [config.triggerProperty]: reply } })),
        });
        body = res.data && typeof res.data === 'object' ? res.data : {};
        observe({ status: String(res.status), seconds: seconds(), recipients: items.length, rateLimit: readBrazeRateLimit(res.headers) });
      } catch (err) {
        const e = classifyHttpError(err, 'braze');
        const headers = (err as { response?: { headers?: ResponseHeaders } }).response?.headers;
        observe({ status: e.status ? String(e.status) : e.code, seconds: seconds(), recipients: items.length, rateLimit: readBrazeRateLimit(headers) });
        throw e;
      }
      // 2xx without "success", or with a notice (paused/archived), means Braze sent nothing
      if (body.message !== 'success' || body.notice) {
        const why = typeof body.notice === 'string' ? body.notice : typeof body.message === 'string' ? body.message : 'no "success" in the answer';
        throw new UpstreamError('braze', 'BRAZE_NOT_SENT', `Braze accepted the request but sent nothing: ${why.slice(0, 200)}`, { retryable: false });
      }
      return {
        dispatchId: typeof body.dispatch_id === 'string' ? body.dispatch_id : undefined,
        warnings: Array.isArray(body.errors) && body.errors.length > 0 ? body.errors : undefined,
      };
    },
  };
}
export type BrazeClient = ReturnType<typeof createBrazeClient>;
