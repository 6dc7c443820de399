import { UpstreamError, classifyHttpError, type Recipient } from '@bridge/shared';
import type { WorkerConfig } from '../config';
import { createHttpClient } from './http-agent';

export interface BrazeObserver {
  (result: { status: string; seconds: number }): void;
}

interface TriggerResponse {
  message?: unknown;
  notice?: unknown;
  errors?: unknown;
  dispatch_id?: unknown;
}

/** POST /campaigns/trigger/send for one recipient of the configured API-triggered campaign. */
export function createBrazeClient(config: WorkerConfig['braze'], observe: BrazeObserver = () => undefined) {
  const http = createHttpClient(config.endpoint, config.timeoutMs, { Authorization: `Bearer ${config.apiKey}` });
  return {
    async sendReply(recipient: Recipient, reply: string): Promise<{ dispatchId?: string; warnings?: unknown }> {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      let body: TriggerResponse;
      try {
        const res = await http.post<TriggerResponse>('/campaigns/trigger/send', {
          campaign_id: config.campaignId,
          recipients: [{ ...recipient, trigger_properties: { [config.triggerProperty]: reply } }],
        });
        body = res.data && typeof res.data === 'object' ? res.data : {};
        observe({ status: String(res.status), seconds: seconds() });
      } catch (err) {
        const e = classifyHttpError(err, 'braze');
        observe({ status: e.status ? String(e.status) : e.code, seconds: seconds() });
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
