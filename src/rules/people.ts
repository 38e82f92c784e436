import { loginFromNoreply } from '../facts/noreply.js';
import type { CommitFact, CommitPerson, PushFact } from '../facts/types.js';

/** How someone took part in the range. */
export type RangeRole = 'author' | 'committer' | 'co-author' | 'pusher';

/** Someone who took part in the range, by GitHub login. */
export interface RangeParticipant {
  /** The login as first seen. */
  login: string;
  /** Per role, the commits (SHAs) in which they had it. */
  roles: Map<RangeRole, string[]>;
  /** Co-author emails that were mapped to this login (no login on the trailer). */
  viaEmail: string[];
}

/** A person on a commit that maps to no GitHub account. */
export interface UnmappedPerson {
  sha: string;
  role: RangeRole;
  name: string;
  email: string;
}

/** Everyone who authored, committed or co-authored a commit in the range. */
export interface RangePeople {
  /** Keyed by lower-case login. */
  participants: Map<string, RangeParticipant>;
  unmapped: UnmappedPerson[];
}

/** GitHub's web-flow committer (commits made in the web UI or by merges on github.com). */
export function isWebFlow(p: CommitPerson): boolean {
  if (p.login !== null) return p.login.toLowerCase() === 'web-flow';
  return p.name === 'GitHub' && p.email.toLowerCase() === 'noreply@github.com';
}

export { loginFromNoreply };

/**
 * Collects the range's participants. Authors and committers map by their login (GitHub's mapping of the
 * commit email). Co-authors without a login are mapped by email: a GitHub no-reply address, or an email
 * that another commit of the range maps to a login. Anyone still without a login is `unmapped`; GitHub's
 * web-flow committer is neither. Pushers (GitHub's own attribution of who moved a branch to include a
 * commit) are participants too: whoever pushed a commit under someone else's name is as involved as
 * its author.
 */
export function rangePeople(commits: readonly CommitFact[], pushes: readonly PushFact[] = []): RangePeople {
  const participants = new Map<string, RangeParticipant>();
  const unmapped: UnmappedPerson[] = [];
  const emailToLogin = new Map<string, string>();
  for (const c of commits) {
    for (const p of [c.author, c.committer, ...c.coAuthors]) {
      if (p.login !== null && !isWebFlow(p)) emailToLogin.set(p.email.trim().toLowerCase(), p.login);
    }
  }
  const add = (login: string, role: RangeRole, sha: string, email?: string): void => {
    const key = login.toLowerCase();
    let entry = participants.get(key);
    if (!entry) {
      entry = { login, roles: new Map(), viaEmail: [] };
      participants.set(key, entry);
    }
    const shas = entry.roles.get(role) ?? [];
    if (!shas.includes(sha)) shas.push(sha);
    entry.roles.set(role, shas);
    if (email !== undefined && !entry.viaEmail.includes(email)) entry.viaEmail.push(email);
  };
  for (const c of commits) {
    const people: [CommitPerson, RangeRole][] = [[c.author, 'author'], [c.committer, 'committer'], ...c.coAuthors.map((p): [CommitPerson, RangeRole] => [p, 'co-author'])];
    for (const [p, role] of people) {
      if (role === 'committer' && isWebFlow(p)) continue;
      if (p.login !== null) {
        add(p.login, role, c.sha);
        continue;
      }
      if (role === 'co-author') {
        const login = loginFromNoreply(p.email) ?? emailToLogin.get(p.email.trim().toLowerCase()) ?? null;
        if (login !== null) {
          add(login, role, c.sha, p.email);
          continue;
        }
      }
      unmapped.push({ sha: c.sha, role, name: p.name, email: p.email });
    }
  }
  for (const push of pushes) for (const login of push.pushers) if (login.toLowerCase() !== 'web-flow') add(login, 'pusher', push.sha);
  return { participants, unmapped };
}
