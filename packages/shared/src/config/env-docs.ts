import type { z } from 'zod';
import { isSecretKey } from '../logging/create-logger';

/**
 * The configuration table of docs/configuration.md, read from the services' zod env schemas:
 * each variable's `.describe()` text, its default and its limits. `pnpm docs:config` writes it
 * (scripts/config-docs.mjs) and a unit test fails when the document and the schemas disagree.
 */

export const TABLE_START = '<!-- config-table:start (generated from the zod env schemas by `pnpm docs:config`; do not edit by hand) -->';
export const TABLE_END = '<!-- config-table:end -->';

export interface EnvRow {
  name: string;
  services: string[];
  description: string | undefined;
  required: boolean;
  secret: boolean;
  /** What applies when the variable is unset, as shown in the table. */
  fallback: string;
  limits: string[];
}

interface Found {
  description?: string;
  /** Set by the outermost default or optional wrapper: the one that decides what unset means. */
  unset?: { kind: 'default'; value: unknown } | { kind: 'optional' };
  min?: number;
  max?: number;
  minLength?: number;
  maxLength?: number;
}

type AnySchema = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Walks a variable's schema from the outside in, through the wrappers the env helpers build. */
function inspect(schema: AnySchema, found: Found = {}): Found {
  const def = schema._zod.def;
  found.description ??= schema.description;
  if (!found.unset && (def.type === 'default' || def.type === 'prefault')) found.unset = { kind: 'default', value: def.defaultValue };
  if (!found.unset && def.type === 'optional') found.unset = { kind: 'optional' };
  const bounds = schema as unknown as { minValue?: number | null; maxValue?: number | null; minLength?: number | null; maxLength?: number | null };
  if (def.type === 'number') {
    if (bounds.minValue != null && bounds.minValue > -MAX_SAFE) found.min = Math.max(found.min ?? -Infinity, bounds.minValue);
    if (bounds.maxValue != null && bounds.maxValue < MAX_SAFE) found.max = Math.min(found.max ?? Infinity, bounds.maxValue);
  }
  if (def.type === 'string') {
    if (bounds.minLength != null) found.minLength = bounds.minLength;
    if (bounds.maxLength != null) found.maxLength = bounds.maxLength;
  }
  for (const key of ['innerType', 'in', 'out'] as const) {
    const child = def[key] as AnySchema | undefined;
    if (child?._zod) inspect(child, found);
  }
  return found;
}

function limitsOf(found: Found): string[] {
  const limits: string[] = [];
  // whole numbers are at least 1 unless the table says otherwise (the prose says so once)
  if (found.min !== undefined && found.min !== 1) limits.push(`at least ${found.min}`);
  if (found.max !== undefined) limits.push(`at most ${found.max}`);
  if (found.minLength !== undefined && found.minLength > 1) limits.push(`${found.minLength}+ characters`);
  if (found.maxLength !== undefined) limits.push(`at most ${found.maxLength} characters`);
  return limits;
}

/** What the docs say of one field of any zod schema: its description, whether it must be given, its default, its limits. */
export function fieldFacts(schema: z.ZodType): { description: string | undefined; required: boolean; fallback: string | undefined; limits: string[] } {
  const found = inspect(schema as AnySchema);
  return {
    description: found.description?.trim() || undefined,
    required: !found.unset,
    fallback: found.unset?.kind === 'default' ? JSON.stringify(found.unset.value) : undefined,
    limits: limitsOf(found),
  };
}

/** A document with the text between two marker comments replaced. */
export function withGenerated(document: string, start: string, end: string, content: string): string {
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the document lacks the markers ${start} ... ${end}`);
  return `${document.slice(0, from + start.length)}\n${content}\n${document.slice(to)}`;
}

/** The env schema a service's config module exports: its one exported zod object. */
export function envSchemaOf(service: string, module: Record<string, unknown>): z.ZodObject {
  const schemas = Object.values(module).filter((value): value is z.ZodObject => (value as AnySchema | undefined)?._zod?.def?.type === 'object');
  if (schemas.length !== 1) throw new Error(`services/${service}/src/config.ts must export exactly one zod env schema (found ${schemas.length})`);
  return schemas[0]!;
}

/**
 * One row per variable, in the order of the table: variables read by more services first
 * (all, then ingest and worker), then per service in the given order, each group by name.
 */
export function envRows(schemas: Array<[service: string, schema: z.ZodObject]>): EnvRow[] {
  const rows = new Map<string, EnvRow>();
  for (const [service, schema] of schemas) {
    for (const [name, variable] of Object.entries(schema.shape)) {
      const found = inspect(variable as AnySchema);
      const row: EnvRow = {
        name,
        services: [service],
        description: found.description?.trim() || undefined,
        required: !found.unset,
        secret: isSecretKey(name),
        fallback: !found.unset ? 'required' : found.unset.kind === 'optional' ? 'unset' : String(found.unset.value),
        limits: limitsOf(found),
      };
      const seen = rows.get(name);
      if (!seen) {
        rows.set(name, row);
        continue;
      }
      const differs = (['description', 'fallback'] as const).filter((key) => seen[key] !== row[key]);
      if (differs.length > 0) throw new Error(`${name} has a different ${differs.join(' and ')} in ${seen.services.join(', ')} and ${service}: define it once, in a shared schema`);
      seen.services.push(service);
    }
  }
  const order = schemas.map(([service]) => service);
  const scopeKey = (row: EnvRow) => [-row.services.length, ...row.services.map((s) => order.indexOf(s))];
  const compare = (a: EnvRow, b: EnvRow) => {
    const [ka, kb] = [scopeKey(a), scopeKey(b)];
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      if ((ka[i] ?? -1) !== (kb[i] ?? -1)) return (ka[i] ?? -1) - (kb[i] ?? -1);
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
  return [...rows.values()].sort(compare);
}

export function undescribed(rows: EnvRow[]): string[] {
  return rows.filter((row) => !row.description).map((row) => `${row.name} (${row.services.join(', ')})`);
}

export const cell = (text: string) => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
export const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

export function renderEnvTable(rows: EnvRow[], allServices: string[]): string {
  const lines = ['| variable | service | default | description |', '| --- | --- | --- | --- |'];
  for (const row of rows) {
    const services = row.services.length === allServices.length ? 'all' : row.services.join(', ');
    const fallback = row.required ? '**required**' : row.fallback === 'unset' ? 'unset' : code(row.fallback);
    const notes = [...(row.secret ? ['secret'] : []), ...row.limits];
    const defaults = notes.length ? `${fallback} (${notes.join(', ')})` : fallback;
    lines.push(`| ${code(row.name)} | ${services} | ${cell(defaults)} | ${cell(row.description ?? '')} |`);
  }
  return lines.join('\n');
}

/** The document with the text between the markers replaced by the table. */
export function withEnvTable(document: string, table: string): string {
  return withGenerated(document, TABLE_START, TABLE_END, table);
}
