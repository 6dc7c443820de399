import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { envRows, envSchemaOf, renderEnvTable, undescribed, withEnvTable } from '@bridge/shared';

// docs/configuration.md and .env.example against the env schemas of services/*/src/config.ts: the
// table between the markers is what `pnpm docs:config` writes, and every variable has a
// `.describe()` text.
const root = path.resolve(__dirname, '../..');
const docPath = path.join(root, 'docs/configuration.md');
const services = readdirSync(path.join(root, 'services')).sort();
const schemas = services.map((service) => [service, envSchemaOf(service, require(path.join(root, 'services', service, 'src/config.ts')))] as const);
const rows = envRows(schemas.map(([service, schema]) => [service, schema]));

/** The lines only one side has, marked - (in the document) and + (from the schemas). */
function lineDiff(current: string, expected: string): string {
  const [have, want] = [current.split('\n'), expected.split('\n')];
  return [...have.filter((line) => !want.includes(line)).map((line) => `- ${line}`), ...want.filter((line) => !have.includes(line)).map((line) => `+ ${line}`)].join('\n');
}

describe('.env.example', () => {
  // `# NAME=value` lines show a default; examples of variables without one (`unset`) are free
  const shown = [...readFileSync(path.join(root, '.env.example'), 'utf8').matchAll(/^# ([A-Z][A-Z0-9_]*)=(.*)$/gm)]
    .map(([, name, value]) => ({ name: name!, value: value!, row: rows.find((row) => row.name === name) }));

  test('when a commented line names a variable, then the services read that variable', () => {
    expect(shown.filter((line) => !line.row).map((line) => line.name)).toEqual([]);
  });

  test('when a commented line shows a default, then it is the default of the schema', () => {
    const withDefault = shown.filter((line) => line.row && !line.row.required && line.row.fallback !== 'unset');
    expect(withDefault.map((line) => [line.name, line.value])).toEqual(withDefault.map((line) => [line.name, line.row!.fallback]));
  });
});

describe('docs/configuration.md', () => {
  test('when a service reads an environment variable, then its schema describes it', () => {
    expect(undescribed(rows)).toEqual([]);
  });

  test('when the env schemas change, then the table in the document has been regenerated', () => {
    const current = readFileSync(docPath, 'utf8');
    const expected = withEnvTable(current, renderEnvTable(rows, services));
    if (current !== expected) {
      throw new Error(`docs/configuration.md disagrees with the env schemas: run \`pnpm docs:config\` and commit the result.\n${lineDiff(current, expected)}`);
    }
  });
});
