import type { z } from 'zod';
import { cell, code, fieldFacts } from '../config/env-docs';
import { ConversationFile, Flow, Route, Step } from './conversation-file';

/**
 * The field tables of docs/conversations.md, read from the conversation file's zod schema, so the
 * format and its documentation cannot drift apart. `pnpm docs:config` writes them too.
 */
export const FIELDS_START = '<!-- conversation-fields:start (generated from the zod schema by `pnpm docs:config`; do not edit by hand) -->';
export const FIELDS_END = '<!-- conversation-fields:end -->';

type Shape = Record<string, z.ZodType>;
type Def = { type: string; innerType?: unknown; in?: unknown; element?: unknown; options?: unknown[] };
const defOf = (schema: unknown) => (schema as { _zod: { def: Def } })._zod.def;
/** Past optional, default and pipe wrappers, arrays (to their element) and unions (to their first option). */
function unwrap(schema: unknown): unknown {
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType);
  if (def.type === 'pipe') return unwrap(def.in);
  if (def.type === 'array') return unwrap(def.element);
  if (def.type === 'union') return unwrap(def.options![0]);
  return schema;
}
const shapeOf = (schema: unknown): Shape => (unwrap(schema) as { shape: Shape }).shape;

function table(title: string, rows: Array<[field: string, schema: z.ZodType, note?: string]>): string {
  const lines = [`**${title}**`, '', '| field | default | what it does |', '| --- | --- | --- |'];
  for (const [field, schema, note] of rows) {
    const facts = fieldFacts(schema);
    const fallback = facts.required ? '**required**' : facts.fallback ? code(facts.fallback) : 'unset';
    const limits = facts.limits.length ? ` (${facts.limits.join(', ')})` : '';
    lines.push(`| ${code(field)} | ${cell(fallback + limits)} | ${cell([note, facts.description].filter(Boolean).join(' '))} |`);
  }
  return lines.join('\n');
}

export function renderConversationFields(): string {
  const top = shapeOf(ConversationFile);
  const routes = (Route as unknown as { options: z.ZodObject[] }).options;
  // a field that means something else for another action (text: required for reply, optional for handoff) gets a row of its own
  const byField = new Map<string, { field: string; schema: z.ZodType; actions: string[] }>();
  for (const option of routes) {
    const action = String((option.shape.action as unknown as { _zod: { def: { values: string[] } } })._zod.def.values[0]);
    for (const [field, schema] of Object.entries(option.shape)) {
      const facts = fieldFacts(schema as z.ZodType);
      const key = field === 'action' ? field : `${field}|${facts.required}|${facts.description}`;
      const seen = byField.get(key) ?? byField.set(key, { field, schema: schema as z.ZodType, actions: [] }).get(key)!;
      seen.actions.push(action);
    }
  }
  const all = routes.length;
  const routeRows = [...byField.values()].map(({ field, schema, actions }) => [field, schema, actions.length === all ? undefined : `(${actions.join(', ')})`] as [string, z.ZodType, string?]);
  const match = shapeOf(shapeOf(routes[0]).match);
  const step = shapeOf(Step);
  const condition = shapeOf(shapeOf(step.switch).if);
  return [
    table('The file', Object.entries(top) as Array<[string, z.ZodType]>),
    table('A route (`routes:` entries)', routeRows),
    table('A route\'s `match`', Object.entries(match) as Array<[string, z.ZodType]>),
    table('A flow (`flows: <name>:`)', Object.entries(shapeOf(Flow)) as Array<[string, z.ZodType]>),
    table('A step (`steps:` entries): exactly one of ask, say or handoff', Object.entries(step) as Array<[string, z.ZodType]>),
    table('A `switch` condition (`if:`): `var` and exactly one operator', Object.entries(condition) as Array<[string, z.ZodType]>),
  ].join('\n\n');
}
