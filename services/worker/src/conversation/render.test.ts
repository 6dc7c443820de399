import { render, renderValues } from './render';

describe('render', () => {
  test.each([
    ['Order {{order_id}} ({{reason}})', { order_id: '123456', reason: 'Damaged' }, 'Order 123456 (Damaged)'],
    ['{{ order_id }}', { order_id: '1' }, '1'],
    ['Hi {{name}}', {}, 'Hi '],
    ['{{a}}{{a}}', { a: 'x' }, 'xx'],
    ['no tags', { a: 'x' }, 'no tags'],
    ['{not a tag} {{1bad}}', { '1bad': 'x' }, '{not a tag} {{1bad}}'],
  ])('when %j is rendered with %j, then it reads %j', (template, vars, expected) => {
    expect(render(template, vars as Record<string, string>)).toBe(expected);
  });

  test('when a value is customer text that looks like a tag, then it is inserted as it is, never rendered again', () => {
    expect(render('You said {{said}}', { said: '{{secret}}', secret: 'LEAK' })).toBe('You said {{secret}}');
  });

  test('when values are rendered, then only strings are, and numbers, booleans and increments stay', () => {
    expect(renderValues({ a: '{{x}}', b: 3, c: true, d: { inc: 1 } }, { x: 'y' })).toEqual({ a: 'y', b: 3, c: true, d: { inc: 1 } });
  });
});
