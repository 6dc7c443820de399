import { DEFAULT_SILENT_KEYWORDS } from '../config';
import { createRouter } from './route-message';

describe('createRouter', () => {
  const route = createRouter(DEFAULT_SILENT_KEYWORDS.split(','));

  test.each(['STOP', 'stop', ' Stop. ', 'STOP ALL', 'stop  all!', 'unsubscribe', 'Unsubscribe!!', 'opt-out', 'QUIT?', '\tEnd\n'])(
    'when the message is the opt-out word %j, then the bot stays silent',
    (text) => {
      // Arrange
      const message = text;

      // Act
      const result = route(message);

      // Assert
      expect(result).toBe('silent');
    },
  );

  test.each(['please stop sending me spam', 'stopwatch', 'stop?? why', 'STOP IT', 'unsubscribed', '', 'hello'])(
    'when the message %j only contains or resembles an opt-out word, then it routes to the AI',
    (text) => {
      // Arrange
      const message = text;

      // Act
      const result = route(message);

      // Assert
      expect(result).toBe('ai');
    },
  );

  test('when keywords are configured in lower case with spaces, then they still match', () => {
    // Arrange
    const custom = createRouter([' arrêt ', 'fin']);

    // Act
    const results = ['ARRÊT', 'Fin.', 'stop'].map(custom);

    // Assert
    expect(results).toEqual(['silent', 'silent', 'ai']);
  });

  test('when the message uses full-width letters, then it is normalised before matching', () => {
    // Arrange
    const message = 'ＳＴＯＰ';

    // Act
    const result = route(message);

    // Assert
    expect(result).toBe('silent');
  });
});

describe('opt-in words Braze answers itself', () => {
  test.each(['START', 'start', 'Unstop'])('when the message is %j, then the bot stays silent by default', (text) => {
    expect(createRouter(DEFAULT_SILENT_KEYWORDS.split(','))(text)).toBe('silent');
  });
});
