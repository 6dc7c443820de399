import { readAnswer } from './ai.client';

describe('readAnswer', () => {
  it.each([
    ['OpenAI tool calls', { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'log_event', arguments: '{"name":"lead"}' } }] }, 'tool_calls', true,
      { kind: 'tool_calls', calls: [{ id: 'call_1', name: 'log_event', arguments: '{"name":"lead"}' }] }],
    ['Ollama-style tool calls (no id, no type, arguments as an object)', { content: '', tool_calls: [{ function: { name: 'log_event', arguments: { name: 'lead' } } }] }, 'stop', true,
      { kind: 'tool_calls', calls: [{ name: 'log_event', arguments: '{"name":"lead"}' }] }],
    ['a malformed tool call', { content: null, tool_calls: [{ fn: 'x' }] }, 'tool_calls', true, { kind: 'tool_calls', calls: [{ name: '', arguments: '' }] }],
    ['tool calls with text beside them', { content: 'One moment.', tool_calls: [{ id: 'c', function: { name: 'x', arguments: '{}' } }] }, 'tool_calls', true,
      { kind: 'tool_calls', calls: [{ id: 'c', name: 'x', arguments: '{}' }], content: 'One moment.' }],
    ['tool calls nobody asked for', { content: null, tool_calls: [{ id: 'c', function: { name: 'x', arguments: '{}' } }] }, 'tool_calls', false, { kind: 'empty', why: 'unrequested_tool_calls' }],
    ['text cut by the token limit', { content: 'Hello wor' }, 'length', true, { kind: 'text', content: 'Hello wor', finishReason: 'length' }],
    ['a refusal', { content: null, refusal: ' No. ' }, 'stop', false, { kind: 'refusal', text: 'No.' }],
  ])('when the server sends %s, then the answer is read as such', (_case, message, finish, offered, expected) => {
    expect(readAnswer(message as never, finish, offered)).toEqual(expected);
  });
});
