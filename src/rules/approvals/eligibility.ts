import type { PromotionFacts } from '../../facts/types.js';
import type { RefusalReason } from '../../gate/types.js';
import { errorMessage, humanList, shortSha } from '../common.js';
import type { RangePeople, RangeRole } from '../people.js';

/** Whether a reviewer's approval counts for a requirement: yes (and through what), no (and why), or unknown (fail closed). */
export type Eligibility = { kind: 'yes'; via: string } | { kind: 'no'; why: string } | { kind: 'unknown'; why: string };

const ROLE_REFUSAL: Record<RangeRole, RefusalReason> = { author: 'author', committer: 'committer', 'co-author': 'co-author', pusher: 'pusher' };
const ROLE_VERB: Record<RangeRole, string> = { author: 'authored', committer: 'committed', 'co-author': 'co-authored', pusher: 'pushed' };

/**
 * Who may never approve this promotion: the PR author, and with separation of duties (`people` given)
 * every author, committer, co-author or pusher of a commit in the range. Null when `login` may.
 */
export function identityRefusal(login: string, prAuthor: string, people: RangePeople | null): { refusal: RefusalReason; detail: string } | null {
  if (login.toLowerCase() === prAuthor.toLowerCase()) return { refusal: 'pr-author', detail: `${login} opened the pull request` };
  const p = people?.participants.get(login.toLowerCase());
  if (!p) return null;
  for (const role of ['author', 'committer', 'co-author', 'pusher'] as const) {
    const shas = p.roles.get(role);
    if (!shas) continue;
    const via = role === 'co-author' && p.viaEmail.length > 0 ? ` (by email ${p.viaEmail.join(', ')})` : '';
    return { refusal: ROLE_REFUSAL[role], detail: `${login} ${ROLE_VERB[role]} ${shas.map(shortSha).join(', ')} in the range${via}` };
  }
  return null;
}

/**
 * Whether `login` is among `reviewers`: a listed user (case-insensitive) or an active member of a listed
 * `@org/team`; with no list, anyone with write (or maintain, admin) access to the repository — never a
 * mere reader or outsider. A membership or permission that cannot be read makes the answer unknown.
 */
export async function eligibility(facts: PromotionFacts, login: string, reviewers: string[] | undefined): Promise<Eligibility> {
  if (reviewers === undefined) {
    // No list: only people who could push the change themselves (write access or more) sign off.
    try {
      const perm = await facts.permission(login);
      if (perm === 'admin' || perm === 'maintain' || perm === 'write') return { kind: 'yes', via: `${perm} access` };
      return { kind: 'no', why: `${login} has ${perm === 'none' ? 'no' : `only ${perm}`} access to the repository (write access is required)` };
    } catch (err) {
      return { kind: 'unknown', why: `could not read ${login}'s permission: ${errorMessage(err)}` };
    }
  }
  const lower = login.toLowerCase();
  if (reviewers.some((r) => !r.startsWith('@') && r.toLowerCase() === lower)) return { kind: 'yes', via: login };
  const problems: string[] = [];
  const inactive: string[] = [];
  for (const ref of reviewers.filter((r) => r.startsWith('@'))) {
    const [org, team, ...rest] = ref.slice(1).split('/');
    if (!org || !team || rest.length > 0) {
      problems.push(`"${ref}" is not a team (@org/team)`);
      continue;
    }
    try {
      const state = await facts.teamMembership(org, team, login);
      if (state === 'active') return { kind: 'yes', via: ref };
      if (state === 'pending') inactive.push(`${login}'s membership of ${ref} is pending`);
    } catch (err) {
      problems.push(`could not read ${login}'s membership of ${ref}: ${errorMessage(err)}`);
    }
  }
  if (problems.length > 0) return { kind: 'unknown', why: problems.join('; ') };
  return { kind: 'no', why: inactive.length > 0 ? inactive.join('; ') : `${login} is not among ${humanList(reviewers, 'or')}` };
}
