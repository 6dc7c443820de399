import type { ChatMessage } from '../clients/ai.client';
import { buildMessages, userContent } from './build-messages';

describe('userContent', () => {
  test('when there is no media, then it is the trimmed text', () => {
    // Arrange
    const job = { text: '  where is my order?\n', mediaCount: 0 };

    // Act
    const content = userContent(job);

    // Assert
    expect(content).toBe('where is my order?');
  });

  test('when there is text and one media file, then the text is followed by a note in the singular', () => {
    // Arrange
    const job = { text: 'look at this', mediaCount: 1 };

    // Act
    const content = userContent(job);

    // Assert
    expect(content).toBe('look at this\n[The customer attached 1 media file that you cannot see.]');
  });

  test('when there is only media, then the content is the note in the plural', () => {
    // Arrange
    const job = { text: '   ', mediaCount: 3 };

    // Act
    const content = userContent(job);

    // Assert
    expect(content).toBe('[The customer attached 3 media files that you cannot see.]');
  });
});

describe('buildMessages', () => {
  test('when there is history, then the order is system, history in order, then the user', () => {
    // Arrange
    const history: ChatMessage[] = [
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'hello! how can I help?' },
      { role: 'user', content: 'my order' },
      { role: 'assistant', content: 'which one?' },
    ];

    // Act
    const messages = buildMessages('You are support.', history, '#1234');

    // Assert
    expect(messages).toEqual([{ role: 'system', content: 'You are support.' }, ...history, { role: 'user', content: '#1234' }]);
  });

  test('when there is no history, then there are just the system and user messages', () => {
    // Arrange
    const history: ChatMessage[] = [];

    // Act
    const messages = buildMessages('sys', history, 'hello');

    // Assert
    expect(messages).toEqual([
      { role: 'system', content: 'sys' },
      { role: 'user', content: 'hello' },
    ]);
  });

  test('when messages are built, then the history array passed in is not changed', () => {
    // Arrange
    const history: ChatMessage[] = [{ role: 'user', content: 'hi' }];

    // Act
    buildMessages('sys', history, 'again');

    // Assert
    expect(history).toEqual([{ role: 'user', content: 'hi' }]);
  });
});

describe('a message without text', () => {
  test('when neither text nor media came, then the AI is told the customer sent something it cannot see', () => {
    expect(userContent({ text: '  ', mediaCount: 0 })).toMatch(/without text/);
  });
});
