#!/usr/bin/env node
// `pnpm docs:config`: writes the configuration table of docs/configuration.md and the field tables of
// docs/conversations.md (between their marker comments) from the zod env schemas of the built services (services/*/dist/config.js), each
// variable's `.describe()` text included. test/docs/configuration.test.ts fails until it is rerun.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { FIELDS_END, FIELDS_START, envRows, envSchemaOf, renderConversationFields, renderEnvTable, undescribed, withEnvTable, withGenerated } = require(path.join(root, 'packages/shared/dist/index.js'));

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

// docs/conversations.md: the conversation file's field tables, from its zod schema
const convPath = path.join(root, 'docs/conversations.md');
const convBefore = readFileSync(convPath, 'utf8');
const convAfter = withGenerated(convBefore, FIELDS_START, FIELDS_END, renderConversationFields());
if (convAfter !== convBefore) writeFileSync(convPath, convAfter);
console.log(`config-docs: docs/conversations.md ${convAfter === convBefore ? 'is up to date' : 'field tables written'}`);
