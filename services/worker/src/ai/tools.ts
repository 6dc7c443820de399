import type { AiToolName } from '@bridge/shared';
import { z } from 'zod';
import type { ToolDefinition } from '../clients/ai.client';

export interface ToolSettings {
  /** LIVE_AGENTS: someone answers a handoff */
  handoff: boolean;
  /** BRAZE_WRITABLE_ATTRIBUTES */
  writableAttributes: string[];
  /** BRAZE_LOGGABLE_EVENTS */
  loggableEvents: string[];
  /** the conversation file's flows */
  flows: string[];
}

type Value = string | number | boolean;

/** What a tool call does to the turn; nothing happens before the turn's outcome is committed. */
export type ToolEffect =
  | { type: 'handoff'; reason: string }
  | { type: 'attributes'; values: Record<string, Value> }
  | { type: 'event'; name: string; properties?: Record<string, Value> }
  | { type: 'flow'; name: string };

/** Everything the AI's tool calls asked for in one turn. */
export interface ToolEffects {
  handoff?: { reason: string };
  attributes: Record<string, Value>;
  events: Array<{ name: string; properties?: Record<string, Value> }>;
  flow?: string;
}

export const noEffects = (): ToolEffects => ({ attributes: {}, events: [] });

/** What the model reads back for one call: `error` says why it did nothing. */
export interface ToolOutcome {
  content: string;
  error?: 'unknown_tool' | 'bad_arguments' | 'not_allowed' | 'conflict';
  effect?: ToolEffect;
}

const Value = z.union([z.string().max(255, 'strings may be at most 255 characters'), z.number().finite(), z.boolean()]);
const Name = z.string().regex(/^[A-Za-z0-9_]{1,100}$/, 'may contain letters, digits and _ only');

const ARGUMENTS = {
  handoff_to_agent: z.object({ reason: z.string().trim().min(1).max(200).describe('why a person should take over, for the agent (one short sentence)') }),
  set_user_attributes: z.object({
    attributes: z.record(Name, Value).refine((a) => Object.keys(a).length > 0, 'must name at least one attribute')
      .describe('attribute name -> value (a string of at most 255 characters, a number or a boolean)'),
  }),
  log_event: z.object({
    name: z.string().min(1).describe('the event name'),
    properties: z.record(Name, Value).optional().describe('event properties: name -> string, number or boolean'),
  }),
  start_flow: z.object({ name: z.string().min(1).describe('the flow to start') }),
} satisfies Record<AiToolName, z.ZodType>;

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
}

const reply = (body: Record<string, unknown>) => JSON.stringify(body);

/**
 * The tools the AI may call. Definitions follow OpenAI's function tools (JSON Schema generated from
 * the same zod schemas that check the arguments); running a call is pure: it checks the arguments
 * and the lists, and says what the call would do to the turn.
 */
export function createToolbox(settings: ToolSettings) {
  const configured: Record<AiToolName, boolean> = {
    handoff_to_agent: settings.handoff,
    set_user_attributes: settings.writableAttributes.length > 0,
    log_event: settings.loggableEvents.length > 0,
    start_flow: settings.flows.length > 0,
  };

  const schemaFor = (name: AiToolName): Record<string, unknown> => {
    const schema = z.toJSONSchema(ARGUMENTS[name], { io: 'input' }) as Record<string, unknown>;
    delete schema.$schema;
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    if (name === 'set_user_attributes') {
      const value = z.toJSONSchema(Value, { io: 'input' }) as Record<string, unknown>;
      delete value.$schema;
      properties.attributes = {
        type: 'object', description: properties.attributes!.description, minProperties: 1, additionalProperties: false,
        properties: Object.fromEntries(settings.writableAttributes.map((a) => [a, value])),
      };
    }
    if (name === 'log_event') properties.name = { ...properties.name, enum: settings.loggableEvents };
    if (name === 'start_flow') properties.name = { ...properties.name, enum: settings.flows };
    return schema;
  };

  const DESCRIPTIONS: Record<AiToolName, () => string> = {
    handoff_to_agent: () => 'Hand the conversation to a person from the support team, when the customer asks for one or you cannot help. Then write a short message telling the customer a person will answer.',
    set_user_attributes: () => `Save what the customer told you to their customer profile. Only these attributes: ${settings.writableAttributes.join(', ')}.`,
    log_event: () => `Record that something happened in this conversation. Only these events: ${settings.loggableEvents.join(', ')}.`,
    start_flow: () => `Start a guided conversation that asks the customer its own questions: ${settings.flows.join(', ')}. Then write at most a short lead-in.`,
  };

  function check(name: AiToolName, args: unknown, effects: ToolEffects): ToolOutcome {
    switch (name) {
      case 'handoff_to_agent': {
        const { reason } = ARGUMENTS.handoff_to_agent.parse(args);
        if (effects.flow) return { error: 'conflict', content: reply({ error: `the flow "${effects.flow}" was started in this turn; a person cannot take over as well` }) };
        return { effect: { type: 'handoff', reason }, content: reply({ ok: true, note: 'A person will take over after your message. Tell the customer briefly; do not promise a time.' }) };
      }
      case 'set_user_attributes': {
        const { attributes } = ARGUMENTS.set_user_attributes.parse(args);
        const refused = Object.keys(attributes).filter((a) => !settings.writableAttributes.includes(a));
        if (refused.length) return { error: 'not_allowed', content: reply({ error: `not written: ${refused.join(', ')} ${refused.length === 1 ? 'is not an attribute' : 'are not attributes'} you may write`, allowed: settings.writableAttributes }) };
        return { effect: { type: 'attributes', values: attributes }, content: reply({ ok: true, written: Object.keys(attributes) }) };
      }
      case 'log_event': {
        const event = ARGUMENTS.log_event.parse(args);
        if (!settings.loggableEvents.includes(event.name)) return { error: 'not_allowed', content: reply({ error: `not logged: "${event.name}" is not an event you may log`, allowed: settings.loggableEvents }) };
        return { effect: { type: 'event', name: event.name, ...(event.properties ? { properties: event.properties } : {}) }, content: reply({ ok: true, logged: event.name }) };
      }
      case 'start_flow': {
        const { name: flow } = ARGUMENTS.start_flow.parse(args);
        if (!settings.flows.includes(flow)) return { error: 'not_allowed', content: reply({ error: `"${flow}" is not a flow you may start`, allowed: settings.flows }) };
        if (effects.handoff) return { error: 'conflict', content: reply({ error: 'a person is taking over; no flow can start' }) };
        if (effects.flow) return { error: 'conflict', content: reply({ error: `the flow "${effects.flow}" was already started in this turn` }) };
        return { effect: { type: 'flow', name: flow }, content: reply({ ok: true, note: 'The flow asks its first question right after your message.' }) };
      }
    }
  }

  return {
    /** the tools that can work with this configuration */
    configured: (Object.keys(configured) as AiToolName[]).filter((t) => configured[t]),

    definitions: (names: AiToolName[]): ToolDefinition[] => names.map((name) => ({ type: 'function', function: { name, description: DESCRIPTIONS[name](), parameters: schemaFor(name) } })),

    /** What a call does, given what earlier calls of the turn did. Never throws. */
    run(call: { name: string; arguments: string }, offered: readonly AiToolName[], effects: ToolEffects): ToolOutcome {
      const name = offered.find((t) => t === call.name);
      if (!name) return { error: 'unknown_tool', content: reply({ error: `there is no tool "${call.name}"`, tools: offered }) };
      let args: unknown;
      try {
        args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
      } catch {
        return { error: 'bad_arguments', content: reply({ error: 'the arguments are not valid JSON' }) };
      }
      try {
        return check(name, args, effects);
      } catch (err) {
        if (err instanceof z.ZodError) return { error: 'bad_arguments', content: reply({ error: `bad arguments: ${describeIssues(err)}` }) };
        throw err;
      }
    },
  };
}
export type Toolbox = ReturnType<typeof createToolbox>;

/** Adds a call's effect to the turn's. */
export function applyEffect(effects: ToolEffects, effect: ToolEffect | undefined): void {
  if (!effect) return;
  if (effect.type === 'handoff') effects.handoff ??= { reason: effect.reason };
  else if (effect.type === 'attributes') Object.assign(effects.attributes, effect.values);
  else if (effect.type === 'event') effects.events.push({ name: effect.name, ...(effect.properties ? { properties: effect.properties } : {}) });
  else effects.flow = effect.name;
}
