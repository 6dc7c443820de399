#!/usr/bin/env node
// `pnpm docs:config`: writes the configuration table of docs/configuration.md (between its marker
// comments) from the zod env schemas of the built services (services/*/dist/config.js), each
// variable's `.describe()` text included. test/docs/configuration.test.ts fails until it is rerun.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { envRows, envSchemaOf, renderEnvTable, undescribed, withEnvTable } = require(path.join(root, 'packages/shared/dist/index.js'));

const services = readdirSync(path.join(root, 'services')).sort();
const schemas = services.map((service) => [service, envSchemaOf(service, require(path.join(root, 'services', service, 'dist/config.js')))]);
const rows = envRows(schemas);
const missing = undescribed(rows);
if (missing.length > 0) {
  console.error(`config-docs: no .describe('...') text for ${missing.join(', ')}: end each variable's schema with one`);
  process.exit(1);
}
const docPath = path.join(root, 'docs/configuration.md');
const before = readFileSync(docPath, 'utf8');
const after = withEnvTable(before, renderEnvTable(rows, services));
if (after === before) {
  console.log(`config-docs: docs/configuration.md is up to date (${rows.length} variables)`);
} else {
  writeFileSync(docPath, after);
  console.log(`config-docs: wrote the table of ${rows.length} variables to docs/configuration.md`);
}
