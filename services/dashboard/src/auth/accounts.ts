import { randomBytes } from 'node:crypto';
import { createSecretCompare } from '@bridge/shared';
import { parsePasswordHash, verifyPassword, type ScryptHash } from './password-hash';

export const ROLES = ['admin', 'agent'] as const;
export type Role = (typeof ROLES)[number];

/** Who a request is signed in as (req.user). */
export interface DashboardUser {
  name: string;
  role: Role;
}

/** An account of DASHBOARD_USERS, or the DASHBOARD_USERNAME/DASHBOARD_PASSWORD admin. */
export type Account = DashboardUser & ({ hash: ScryptHash } | { password: string });

/** HTTP Basic splits at the first colon, so no colon; the rest keeps names readable in logs and keys. */
const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/** One DASHBOARD_USERS entry with the label a message names it by ("entry 2", "line 7"). */
export interface UserEntry {
  text: string;
  label: string;
}

/** DASHBOARD_USERS: entries separated by commas or newlines, numbered as written (blanks skipped). */
export function entriesOfVariable(value: string): UserEntry[] {
  return value.split(/[,\n]/).map((t) => t.trim()).filter(Boolean).map((text, i) => ({ text, label: `entry ${i + 1}` }));
}

/** DASHBOARD_USERS_FILE: one entry per line; blank lines and # comments are skipped. */
export function entriesOfFile(content: string): UserEntry[] {
  return content.split(/\r?\n/).map((line, i) => ({ text: line.trim(), label: `line ${i + 1}` })).filter(({ text }) => text !== '' && !text.startsWith('#'));
}

/**
 * `name:scrypt-hash:role` entries as accounts, or the problems found, each naming its entry and
 * never its hash.
 */
export function parseAccounts(entries: UserEntry[]): { accounts: Account[]; problems: string[] } {
  const accounts: Account[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { text, label } of entries) {
    const parts = text.split(':');
    if (parts.length !== 3) {
      problems.push(`${label} is not name:scrypt-hash:role`);
      continue;
    }
    const [name, encoded, role] = parts as [string, string, string];
    const hash = parsePasswordHash(encoded);
    if (!NAME.test(name)) problems.push(`${label} has a name with other characters than letters, digits, . _ @ - (1 to 64)`);
    else if (!hash) problems.push(`${label} has no valid scrypt$N$r$p$salt$hash (make one with pnpm hash-password)`);
    else if (!(ROLES as readonly string[]).includes(role)) problems.push(`${label} has role "${role.slice(0, 20)}": it must be ${ROLES.join(' or ')}`);
    else if (seen.has(name)) problems.push(`${label} repeats the name of ${seen.get(name)}`);
    else {
      seen.set(name, label);
      accounts.push({ name, role: role as Role, hash });
    }
  }
  return { accounts, problems };
}

/**
 * Checks a user name and password against the accounts. An unknown name costs a check of the
 * same kind as a known one, so the time taken does not tell which names exist.
 */
export function createAccountCheck(accounts: readonly Account[]) {
  if (accounts.length === 0) throw new Error('createAccountCheck needs at least one account');
  const byName = new Map(accounts.map((a) => [a.name, a]));
  const scryptModel = accounts.find((a): a is Account & { hash: ScryptHash } => 'hash' in a);
  const decoy = scryptModel ? { ...scryptModel.hash, salt: randomBytes(16) } : undefined;
  const decoyCompare = createSecretCompare(randomBytes(24).toString('base64url'));
  const plainCompares = new Map(accounts.flatMap((a) => ('password' in a ? [[a.name, createSecretCompare(a.password)] as const] : [])));

  return async (name: string, password: string): Promise<DashboardUser | undefined> => {
    const account = byName.get(name);
    if (!account) {
      if (decoy) await verifyPassword(password, decoy);
      else decoyCompare(password);
      return undefined;
    }
    const ok = 'hash' in account ? await verifyPassword(password, account.hash) : plainCompares.get(name)!(password);
    return ok ? { name: account.name, role: account.role } : undefined;
  };
}

