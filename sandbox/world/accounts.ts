/** Users, organizations and bots; how commits and people map to them (emails, noreply addresses); personal tokens. */
import { randomBytes } from 'node:crypto';
import type { GitHubSandbox, PersonRef } from '../github-sandbox.js';
import type { GitIdentity } from '../git/repo.js';
import type { Account } from '../state.js';

/** Adds an account (a user's GitHub noreply address is added to its emails, as GitHub attributes commits by it). */

export function addAccount(sb: GitHubSandbox, a: { login: string; type: Account['type']; name?: string; emails?: string[] }): Account {
  if (sb.accounts.has(a.login.toLowerCase())) throw new Error(`account ${a.login} already exists`);
  const acc: Account = { id: sb.nextId(), login: a.login, type: a.type, name: a.name ?? a.login, emails: a.emails ?? [] };
  if (a.type !== 'Organization') acc.emails.push(`${acc.id}+${acc.login}@users.noreply.github.com`);
  sb.accounts.set(a.login.toLowerCase(), acc);
  return acc;
}

/** Creates a user; `emails` are matched against commit author/committer emails. */
export function createUser(sb: GitHubSandbox, u: { login: string; name?: string; email?: string; emails?: string[] }): Account & { token: string; email: string } {
  const emails = [...(u.email ? [u.email] : []), ...(u.emails ?? [])];
  if (emails.length === 0) emails.push(`${u.login}@users.sandbox.test`);
  const acc = addAccount(sb, { login: u.login, type: 'User', name: u.name ?? u.login, emails });
  const token = `ghp_${randomBytes(18).toString('hex')}`;
  sb.tokens.set(token, { actor: { kind: 'user', account: acc }, expiresAt: Number.POSITIVE_INFINITY });
  return Object.assign(acc, { token, email: emails[0] ?? '' });
}

export function createOrg(sb: GitHubSandbox, o: { login: string; name?: string }): Account {
  return addAccount(sb, { login: o.login, type: 'Organization', name: o.name ?? o.login });
}

export function account(sb: GitHubSandbox, login: string): Account {
  const a = sb.accounts.get(login.toLowerCase());
  if (!a) throw new Error(`no sandbox account ${login}`);
  return a;
}

export function findAccount(sb: GitHubSandbox, login: string): Account | null {
  return sb.accounts.get(login.toLowerCase()) ?? null;
}

/** The user whose emails include `email` (GitHub's commit attribution), else null. */
export function accountByEmail(sb: GitHubSandbox, email: string): Account | null {
  const e = email.toLowerCase();
  for (const a of sb.accounts.values()) if (a.emails.some((x) => x.toLowerCase() === e)) return a;
  return null;
}

export function identity(sb: GitHubSandbox, p: PersonRef): GitIdentity & { account: Account | null } {
  if (typeof p === 'string') {
    const a = sb.account(p);
    return { name: a.name, email: a.emails[0] ?? `${a.login}@users.sandbox.test`, account: a };
  }
  return { ...p, account: sb.accountByEmail(p.email) };
}

/** A token acting as `login` (a personal access token). */
export function tokenFor(sb: GitHubSandbox, login: string): string {
  const acc = sb.account(login);
  for (const [t, v] of sb.tokens) if (v.actor.kind === 'user' && v.actor.account.id === acc.id) return t;
  const token = `ghp_${randomBytes(18).toString('hex')}`;
  sb.tokens.set(token, { actor: { kind: 'user', account: acc }, expiresAt: Number.POSITIVE_INFINITY });
  return token;
}
