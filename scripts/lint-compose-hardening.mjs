// Container hardening of docker-compose.yml, as the engine gets it (YAML merge keys resolved):
// every service runs as a named non-root user, with a read-only root file system, all capabilities
// dropped and no-new-privileges. Run by scripts/lint-deploy.sh; prints one line per finding.
//   node scripts/lint-compose-hardening.mjs [docker-compose.yml]
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const file = process.argv[2] ?? 'docker-compose.yml';
const compose = parse(readFileSync(file, 'utf8'), { merge: true });
// Caddy's official image owns its data volume as root: it may run as root, with everything else dropped
const ROOT_WITHOUT_CAPABILITIES = new Set(['caddy']);
const problems = [];
for (const [name, service] of Object.entries(compose.services ?? {})) {
  const fail = (message) => problems.push(`${file} service ${name}: ${message}`);
  const user = String(service.user ?? '');
  if (!user || (/^(root|0)(:|$)/.test(user) && !ROOT_WITHOUT_CAPABILITIES.has(name))) fail('user must name a non-root user');
  if (service.read_only !== true) fail('read_only must be true');
  if (!(service.cap_drop ?? []).includes('ALL')) fail('cap_drop must include ALL');
  if (service.cap_add?.length) fail(`cap_add gives back capabilities (${service.cap_add.join(', ')})`);
  if (!(service.security_opt ?? []).includes('no-new-privileges:true')) fail('security_opt must include no-new-privileges:true');
  if (service.privileged) fail('privileged must not be set');
}
for (const p of problems) console.log(`  FAIL: ${p}`);
process.exit(problems.length ? 1 : 0);
