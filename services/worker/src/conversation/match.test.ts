import { parseConversationFile } from '@bridge/shared';
import { DEFAULT_SILENT_KEYWORDS, keywordSet, normalizeKeyword, routeMatcher } from './match';

describe('normalizeKeyword', () => {
  test.each([
    ['  Devolução! ', 'DEVOLUCAO'],
    ['horário', 'HORARIO'],
    ['stop  all!!', 'STOP ALL'],
    ['¿Ayuda?', 'AYUDA'],
    ['\tEnd\n', 'END'],
    ['ＳＴＯＰ', 'STOP'],
    ['wait...', 'WAIT'],
    ['', ''],
  ])('when the text is %j, then it compares as %j', (text, expected) => {
    expect(normalizeKeyword(text)).toBe(expected);
  });
});

describe('the built-in opt-out words', () => {
  const silent = keywordSet(DEFAULT_SILENT_KEYWORDS.split(','));

  test.each(['STOP', 'stop', ' Stop. ', 'STOP ALL', 'unsubscribe', 'parar', 'Sair!', 'cancelar', 'descadastrar', 'BAJA', 'baja.', 'dar de baja', 'alto', 'Cancelar suscripción', 'cancelar suscripcion', 'START', 'unstop', 'Voltar'])(
    'when the message is %j, then the bot stays silent',
    (text) => expect(silent(text)).toBe(true),
  );

  test.each(['please stop sending me spam', 'stopwatch', 'STOP IT', 'quero parar de receber', 'la baja de precios', 'voltar amanhã', 'hello', ''])(
    'when the message %j only contains or resembles an opt-out word, then it is not silenced',
    (text) => expect(silent(text)).toBe(false),
  );
});

describe('routeMatcher', () => {
  const file = parseConversationFile({
    routes: [
      { name: 'hours', match: { keywords: ['HOURS', 'HORÁRIO'] }, action: 'reply', text: 'x' },
      { name: 'orders-ci', match: { regex: '\\b(order|pedido)\\b', flags: 'i' }, action: 'ai' },
      { name: 'exact', match: { regex: '^Refund$' }, action: 'ai' },
      { name: 'path-only', action: 'ai' },
    ],
  }, 'test');
  const match = routeMatcher(file.routes);

  test.each([
    ['hours', 'hours'],
    ['  Horario?', 'hours'],
    ['HORÁRIO!!', 'hours'],
    ['what are your hours', undefined],
    ['Where is my ORDER?', 'orders-ci'],
    ['meu pedido 123', 'orders-ci'],
    ['reorder', undefined],
    ['Refund', 'exact'],
    ['refund', undefined],
    ['path-only', undefined],
  ])('when the message is %j, then the route is %s', (text, expected) => {
    expect(match(text)?.name).toBe(expected);
  });

  test('when two routes match, then the first in the file wins', () => {
    const first = routeMatcher(parseConversationFile({ routes: [{ name: 'a', match: { regex: 'x' }, action: 'ignore' }, { name: 'b', match: { keywords: ['X'] }, action: 'ignore' }] }, 't').routes);
    expect(first('x')?.name).toBe('a');
  });
});
