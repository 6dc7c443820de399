/** Job fields that hold message text or a customer's identity (also in agent events: profile_name, suggested_reply...). */
const TEXT_FIELDS = new Set(['text', 'reply', 'messageId', 'profile_name', 'suggested_reply']);
const ID_FIELDS = new Set(['external_user_id', 'braze_id', 'brazeId', 'user_id', 'alias_name', 'phone']);
/** lists of the customer's media URLs */
const URL_LIST_FIELDS = new Set(['mediaUrls', 'media_urls']);

const maskId = (id: string) => (id.length <= 4 ? '****' : `${id.slice(0, 2)}…${id.slice(-2)}`);

/** The sender's phone and WhatsApp display name. */
function maskContact(contact: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(contact).map(([k, v]) => [k, typeof v !== 'string' ? v : k === 'phone' ? maskId(v) : `[hidden: ${v.length} characters]`]));
}

/** What the dashboard shows of job data unless DASHBOARD_SHOW_PII=true. */
export function maskJobData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskJobData);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (TEXT_FIELDS.has(key) && typeof v === 'string') out[key] = `[hidden: ${v.length} characters]`;
    else if (key === 'contact' && v && typeof v === 'object') out[key] = maskContact(v as Record<string, unknown>);
    else if (URL_LIST_FIELDS.has(key) && Array.isArray(v)) out[key] = `[hidden: ${v.length} URLs]`;
    else if (ID_FIELDS.has(key) && typeof v === 'string') out[key] = maskId(v);
    else out[key] = maskJobData(v);
  }
  return out;
}
