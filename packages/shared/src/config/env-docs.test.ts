import { z } from 'zod';
import { TABLE_END, TABLE_START, envRows, envSchemaOf, renderEnvTable, undescribed, withEnvTable } from './env-docs';
import { boolEnv, intEnv, urlEnv } from './parse-env';

const rowOf = (schema: z.ZodType) => envRows([['svc', z.object({ VAR: schema })]])[0]!;

describe('envRows', () => {
  test.each([
    ['a whole number with a default', intEnv(8).describe('d'), { required: false, fallback: '8', limits: [] }],
    ['a number that may be 0', intEnv(20, 0).describe('d'), { required: false, fallback: '20', limits: ['at least 0'] }],
    ['a number with a lower bound', intEnv(65_536, 1_024).describe('d'), { required: false, fallback: '65536', limits: ['at least 1024'] }],
    ['a number capped by a pipe', intEnv(50).pipe(z.number().max(50)).describe('d'), { required: false, fallback: '50', limits: ['at most 50'] }],
    ['an optional number whose inner schema has a default', intEnv(0, 1).optional().describe('d'), { required: false, fallback: 'unset', limits: [] }],
    ['a boolean', boolEnv(true).describe('d'), { required: false, fallback: 'true', limits: [] }],
    ['a URL with a default', urlEnv(['redis:']).default('redis://127.0.0.1:6379').describe('d'), { required: false, fallback: 'redis://127.0.0.1:6379', limits: [] }],
    ['a required string with a minimum length', z.string().min(16).describe('d'), { required: true, fallback: 'required', limits: ['16+ characters'] }],
    ['a required non-empty string', z.string().min(1).describe('d'), { required: true, fallback: 'required', limits: [] }],
    ['an optional string with a maximum length', z.string().max(4096).optional().describe('d'), { required: false, fallback: 'unset', limits: ['at most 4096 characters'] }],
  ])('when the schema is %s, then the row shows its default and limits', (_name, schema, expected) => {
    expect(rowOf(schema)).toMatchObject(expected);
  });

  test.each([
    ['the end of the chain', intEnv(3).describe('outer text'), 'outer text'],
    ['inside a default added after it', z.string().describe('inner text').default('x'), 'inner text'],
    ['inside a transform added after it', z.string().describe('inner text').transform((v) => v.length), 'inner text'],
  ])('when .describe() sits at %s, then the row has the text', (_name, schema, description) => {
    expect(rowOf(schema).description).toBe(description);
  });

  test.each([
    ['WEBHOOK_SECRET', true],
    ['BRAZE_API_KEY', true],
    ['DASHBOARD_PASSWORD', true],
    ['AI_RATE_LIMIT_TOKEN_FLOOR', false],
    ['REDIS_PREFIX', false],
  ])('when the variable is %s, then secret is %s (the names the logger redacts)', (name, secret) => {
    expect(envRows([['svc', z.object({ [name]: z.string() })]])[0]!.secret).toBe(secret);
  });

  test('when services share a base schema, then its variables come first, listed once with every service', () => {
    const Base = z.object({ SHARED_B: z.string().describe('b'), SHARED_A: z.string().describe('a') });
    const rows = envRows([
      ['ingest', Base.extend({ INGEST_X: z.string().describe('x') })],
      ['worker', Base.extend({ WORKER_B: z.string().describe('b'), WORKER_A: z.string().describe('a') })],
    ]);

    expect(rows.map((row) => [row.name, row.services])).toEqual([
      ['SHARED_A', ['ingest', 'worker']],
      ['SHARED_B', ['ingest', 'worker']],
      ['INGEST_X', ['ingest']],
      ['WORKER_A', ['worker']],
      ['WORKER_B', ['worker']],
    ]);
  });

  test('when two services define one variable with different descriptions, then it throws naming the variable', () => {
    const schemas: Array<[string, z.ZodObject]> = [
      ['ingest', z.object({ PORT: intEnv(1).describe('one') })],
      ['worker', z.object({ PORT: intEnv(1).describe('two') })],
    ];

    expect(() => envRows(schemas)).toThrow('PORT has a different description in ingest and worker');
  });

  test('when a variable has no .describe(), then undescribed names it with its service', () => {
    const rows = envRows([['worker', z.object({ DONE: intEnv(1).describe('ok'), TODO: intEnv(1) })]]);

    expect(undescribed(rows)).toEqual(['TODO (worker)']);
  });
});

describe('renderEnvTable', () => {
  test('when rows are rendered, then the cells are escaped and shared variables say "all"', () => {
    const rows = envRows([
      ['a', z.object({ LEVEL: z.enum(['x', 'y']).default('x').describe('`x` | `y`,\n  two lines') })],
      ['b', z.object({ LEVEL: z.enum(['x', 'y']).default('x').describe('`x` | `y`,\n  two lines'), API_KEY: z.string().min(1).describe('A key.') })],
    ]);

    expect(renderEnvTable(rows, ['a', 'b']).split('\n')).toEqual([
      '| variable | service | default | description |',
      '| --- | --- | --- | --- |',
      '| `LEVEL` | all | `x` | `x` \\| `y`, two lines |',
      '| `API_KEY` | b | **required** (secret) | A key. |',
    ]);
  });
});

describe('withEnvTable', () => {
  test('when the document has the markers, then only the text between them is replaced', () => {
    const document = `intro\n${TABLE_START}\nold table\n${TABLE_END}\nprose\n`;

    expect(withEnvTable(document, 'new table')).toBe(`intro\n${TABLE_START}\nnew table\n${TABLE_END}\nprose\n`);
  });

  test('when the document lacks the markers, then it throws naming them', () => {
    expect(() => withEnvTable('no markers here', 'table')).toThrow(TABLE_START);
  });
});

describe('envSchemaOf', () => {
  test.each([
    ['no zod object', { loadConfig: () => 1 }, 0],
    ['two zod objects', { A: z.object({}), B: z.object({}) }, 2],
  ])('when a config module exports %s, then it throws naming the file', (_name, module, count) => {
    expect(() => envSchemaOf('worker', module)).toThrow(`services/worker/src/config.ts must export exactly one zod env schema (found ${count})`);
  });

  test('when a config module exports one zod object, then that is the schema', () => {
    const Env = z.object({ X: z.string() });

    expect(envSchemaOf('worker', { Env, DEFAULT: 'text', loadConfig: () => 1 })).toBe(Env);
  });
});
