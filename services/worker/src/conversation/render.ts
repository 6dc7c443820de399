/**
 * Fills {{name}} with a variable's value, in one pass: a value that itself looks like {{other}}
 * (customer text) is inserted as it is, never rendered again. Unknown names become empty.
 */
export function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, name: string) => vars[name] ?? '');
}

export function renderValues<T>(values: Record<string, T>, vars: Record<string, string>): Record<string, T | string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? render(v, vars) : v]));
}
