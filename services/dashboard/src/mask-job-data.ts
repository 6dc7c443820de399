/** Job fields that hold message text or a customer's identity. */
const TEXT_FIELDS = new Set(['text', 'reply', 'messageId']);
const ID_FIELDS = new Set(['external_user_id', 'braze_id', 'alias_name']);

const maskId = (id: string) => (id.length <= 4 ? '****' : `${id.slice(0, 2)}…${id.slice(-2)}`);

/** What the dashboard shows of job data unless DASHBOARD_SHOW_PII=true. */
export function maskJobData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJobData);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (TEXT_FIELDS.has(key) && typeof v === 'string') out[key] = `[hidden: ${v.length} characters]`;
    else if (ID_FIELDS.has(key) && typeof v === 'string') out[key] = maskId(v);
    else out[key] = maskJobData(v);
  }
  return out;
}
