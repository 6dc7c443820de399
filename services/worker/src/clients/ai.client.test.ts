import { readAnswer } from './ai.client';

describe('readAnswer: what an OpenAI-compatible answer gives the customer', () => {
  test.each([
    ['text', { content: 'Hello!' }, 'stop', { kind: 'text', content: 'Hello!', finishReason: 'stop' }],
    ['a refusal with content null', { content: null, refusal: 'I cannot help with that.' }, 'stop', { kind: 'refusal', text: 'I cannot help with that.' }],
    ['a refusal without text', { content: null, refusal: '' }, 'stop', { kind: 'refusal', text: '' }],
    ['tool calls nobody asked for', { content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'x', arguments: '{}' } }] }, 'tool_calls', { kind: 'empty', why: 'unrequested_tool_calls' }],
    ['an empty string', { content: '' }, 'stop', { kind: 'empty', why: 'blank' }],
    ['only whitespace', { content: ' \n\t ' }, 'stop', { kind: 'empty', why: 'blank' }],
    ['no content field (Ollama-style)', {}, null, { kind: 'empty', why: 'no_content' }],
  ])('when the message is %s, then it reads as %j', (_case, message, finish, expected) => {
    expect(readAnswer(message as never, finish)).toEqual(expected);
  });
});

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
