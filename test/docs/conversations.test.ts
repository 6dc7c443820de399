import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIELDS_END, FIELDS_START, renderConversationFields, withGenerated } from '@bridge/shared';

// docs/conversations.md against the conversation file's zod schema: its field tables are what
// `pnpm docs:config` writes, and every field has a description.
const docPath = path.join(__dirname, '../../docs/conversations.md');

describe('docs/conversations.md', () => {
  test('when the conversation file\'s schema changes, then the field tables have been regenerated', () => {
    const current = readFileSync(docPath, 'utf8');
    expect(withGenerated(current, FIELDS_START, FIELDS_END, renderConversationFields()) === current ? 'up to date' : 'stale: run pnpm docs:config').toBe('up to date');
  });

  test('when the tables are rendered, then every field says what it does', () => {
    const rows = renderConversationFields().split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.filter((row) => /\| *\|$/.test(row))).toEqual([]);
    expect(rows.length).toBeGreaterThan(40);
  });
});
