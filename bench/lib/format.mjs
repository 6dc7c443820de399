// Number formatting and the results table (terminal and Markdown).
export const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
export const num = (x, digits = 1) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '—');
export const rate = (x) => `${int(x)}/s`;
export const ms = (x) => (Number.isFinite(x) ? `${num(x, x < 10 ? 1 : 0)} ms` : '—');
export const mb = (bytes) => (Number.isFinite(bytes) ? `${num(bytes / 1024 ** 2, 0)} MB` : '—');
export const bytes = (b) => (Number.isFinite(b) ? `${int(b)} B` : '—');
export const ratio = (x, digits = 2) => (Number.isFinite(x) ? `${num(x, digits)}×` : '—');
export const pct = (x) => (Number.isFinite(x) ? `${num(x * 100, 0)} %` : '—');
/** seconds as "45 s", "1 h", "7 d" */
export const duration = (seconds) => {
  if (!Number.isFinite(seconds)) return '∞';
  if (seconds >= 86_400) return `${num(seconds / 86_400, seconds % 86_400 ? 1 : 0)} d`;
  if (seconds >= 3_600) return `${num(seconds / 3_600, seconds % 3_600 ? 1 : 0)} h`;
  if (seconds >= 60) return `${num(seconds / 60, seconds % 60 ? 1 : 0)} min`;
  return `${int(seconds)} s`;
};
export const met = (ok) => (ok === undefined ? '—' : ok ? 'yes' : 'NO');

const COLUMNS = [
  ['figure', 'figure'],
  ['ours', 'ours'],
  ['baseline', 'baseline'],
  ['ratio', 'ratio'],
  ['goal', 'goal'],
  ['met', 'met?'],
];

export function textTable(rows) {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((r) => String(r[key] ?? '').length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd();
  return [
    line(COLUMNS.map(([, title]) => title)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(COLUMNS.map(([key]) => r[key] ?? ''))),
  ].join('\n');
}

export function markdownTable(rows) {
  const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
  return [
    `| ${COLUMNS.map(([, t]) => t).join(' | ')} |`,
    `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${COLUMNS.map(([key]) => esc(r[key])).join(' | ')} |`),
  ].join('\n');
}
