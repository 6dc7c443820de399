import { applyEffect, createToolbox, noEffects, type ToolEffect, type ToolEffects } from './tools';

const toolbox = createToolbox({ handoff: true, writableAttributes: ['plan', 'city'], loggableEvents: ['lead'], flows: ['returns'] });
const ALL = toolbox.configured;
const run = (name: string, args: unknown, effects: ToolEffects = noEffects()) => toolbox.run({ name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }, ALL, effects);

describe('createToolbox', () => {
  test('when everything is configured, then all four tools are offered with JSON Schema parameters naming what is allowed', () => {
    const defs = toolbox.definitions(ALL);
    expect(defs.map((d) => d.function.name)).toEqual(['handoff_to_agent', 'set_user_attributes', 'log_event', 'start_flow']);
    const attributes = (defs[1]!.function.parameters.properties as Record<string, any>).attributes;
    expect(Object.keys(attributes.properties)).toEqual(['plan', 'city']);
    expect(attributes.additionalProperties).toBe(false);
    expect((defs[2]!.function.parameters.properties as Record<string, any>).name.enum).toEqual(['lead']);
    expect((defs[3]!.function.parameters.properties as Record<string, any>).name.enum).toEqual(['returns']);
    expect(defs[0]!.function.parameters).toMatchObject({ type: 'object', required: ['reason'] });
  });

  it.each([
    ['people answer handoffs, the lists are empty and there are no flows', { handoff: true, writableAttributes: [], loggableEvents: [], flows: [] }, ['handoff_to_agent']],
    ['nobody answers handoffs (LIVE_AGENTS off)', { handoff: false, writableAttributes: ['plan'], loggableEvents: [], flows: ['returns'] }, ['set_user_attributes', 'start_flow']],
  ])('when %s, then only the tools that can work are configured', (_case, settings, tools) => {
    expect(createToolbox(settings).configured).toEqual(tools);
  });

  it.each([
    ['handoff_to_agent', { reason: 'asks for a person' }, { type: 'handoff', reason: 'asks for a person' }],
    ['set_user_attributes', { attributes: { plan: 'gold', city: 'Lima' } }, { type: 'attributes', values: { plan: 'gold', city: 'Lima' } }],
    ['set_user_attributes', { attributes: { plan: 3 } }, { type: 'attributes', values: { plan: 3 } }],
    ['log_event', { name: 'lead', properties: { source: 'whatsapp' } }, { type: 'event', name: 'lead', properties: { source: 'whatsapp' } }],
    ['start_flow', { name: 'returns' }, { type: 'flow', name: 'returns' }],
  ])('when %s is called with %j, then it says what it does to the turn', (name, args, effect) => {
    const outcome = run(name, args);
    expect(outcome.error).toBeUndefined();
    expect(outcome.effect).toEqual(effect);
  });

  it.each([
    ['an unknown tool', 'transfer_money', {}, 'unknown_tool'],
    ['a tool that is not offered', 'Handoff_To_Agent', { reason: 'x' }, 'unknown_tool'],
    ['arguments that are not JSON', 'log_event', '{name: lead', 'bad_arguments'],
    ['a missing argument', 'handoff_to_agent', {}, 'bad_arguments'],
    ['no attributes at all', 'set_user_attributes', { attributes: {} }, 'bad_arguments'],
    ['a string over 255 characters', 'set_user_attributes', { attributes: { plan: 'x'.repeat(256) } }, 'bad_arguments'],
    ['an object as a value', 'set_user_attributes', { attributes: { plan: { tier: 1 } } }, 'bad_arguments'],
    ['an attribute off the list', 'set_user_attributes', { attributes: { email: 'a@b.c' } }, 'not_allowed'],
    ['an event off the list', 'log_event', { name: 'purchase' }, 'not_allowed'],
    ['a flow that does not exist', 'start_flow', { name: 'sales' }, 'not_allowed'],
  ])('when the model calls with %s, then nothing happens and the model reads why', (_case, name, args, error) => {
    const outcome = run(name, args);
    expect(outcome).toMatchObject({ error });
    expect(outcome.effect).toBeUndefined();
    expect(JSON.parse(outcome.content)).toHaveProperty('error');
  });

  it.each([
    ['a flow after a handoff', { type: 'handoff', reason: 'r' } as const, 'start_flow', { name: 'returns' }],
    ['a handoff after a flow', { type: 'flow', name: 'returns' } as const, 'handoff_to_agent', { reason: 'r' }],
    ['a second flow', { type: 'flow', name: 'returns' } as const, 'start_flow', { name: 'returns' }],
  ])('when the model asks for %s in the same turn, then it is refused as a conflict', (_case, earlier, name, args) => {
    const effects = noEffects();
    applyEffect(effects, earlier);
    expect(run(name, args, effects).error).toBe('conflict');
  });

  test('when effects add up over a turn, then attributes merge, events keep their order and the first handoff reason stays', () => {
    const effects = noEffects();
    const turn: ToolEffect[] = [
      { type: 'attributes', values: { plan: 'gold' } }, { type: 'event', name: 'lead' }, { type: 'attributes', values: { city: 'Lima', plan: 'silver' } },
      { type: 'handoff', reason: 'first' }, { type: 'event', name: 'lead', properties: { n: 2 } }, { type: 'handoff', reason: 'second' },
    ];
    for (const e of turn) applyEffect(effects, e);
    expect(effects).toEqual({ attributes: { plan: 'silver', city: 'Lima' }, events: [{ name: 'lead' }, { name: 'lead', properties: { n: 2 } }], handoff: { reason: 'first' } });
  });
});
