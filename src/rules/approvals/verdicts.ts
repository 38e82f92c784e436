import type { ReviewFact } from '../../facts/types.js';
import type { ApprovalVerdict, RefusalReason } from '../../gate/types.js';
import { humanList, shortSha } from '../common.js';

const DECISIVE = new Set<ReviewFact['state']>(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/** Reviews in submission order (ties keep listing order), drafts (`PENDING`) left out. */
export function ordered(reviews: readonly ReviewFact[]): ReviewFact[] {
  return reviews
    .map((r, i) => ({ r, i, t: Date.parse(r.submittedAt) }))
    .filter(({ r }) => r.state !== 'PENDING')
    .sort((a, b) => (Number.isNaN(a.t) || Number.isNaN(b.t) || a.t === b.t ? a.i - b.i : a.t - b.t))
    .map(({ r }) => r);
}

/** Each reviewer's standing review: the latest APPROVED, CHANGES_REQUESTED or DISMISSED (COMMENTED changes nothing). */
export function standingReviews(reviews: readonly ReviewFact[]): Map<string, ReviewFact> {
  const standing = new Map<string, ReviewFact>();
  for (const r of ordered(reviews)) if (DECISIVE.has(r.state)) standing.set(r.user.toLowerCase(), r);
  return standing;
}

/** What the requirements made of each fresh approval, by lower-case login. */
export interface Tally {
  /** Labels of the requirements an approval counted for. */
  countedBy: Map<string, string[]>;
  /** Why it did not count for the others. */
  notEligible: Map<string, string[]>;
}

/**
 * The verdict on every approval and dismissal, in submission order: superseded, refused for who the
 * reviewer is, stale (not of the head), counted (and for which requirements) or not eligible.
 */
export function approvalVerdicts(reviews: readonly ReviewFact[], head: string, identityRefusal: (login: string) => { refusal: RefusalReason; detail: string } | null, tally: Tally): ApprovalVerdict[] {
  const standing = standingReviews(reviews);
  const verdicts: ApprovalVerdict[] = [];
  for (const r of ordered(reviews)) {
    if (r.state !== 'APPROVED' && r.state !== 'DISMISSED') continue;
    const base = { login: r.user, reviewId: r.id, commitId: r.commitId, submittedAt: r.submittedAt };
    if (r.state === 'DISMISSED') {
      verdicts.push({ ...base, counted: false, refusal: 'superseded', detail: `review by ${r.user} was dismissed` });
      continue;
    }
    const latest = standing.get(r.user.toLowerCase());
    if (latest !== r) {
      const what = latest?.state === 'DISMISSED' ? 'dismissed' : `superseded by ${latest?.state.toLowerCase().replace('_', ' ')} at ${latest?.submittedAt}`;
      verdicts.push({ ...base, counted: false, refusal: 'superseded', detail: `approval ${what}` });
      continue;
    }
    const identity = identityRefusal(r.user);
    if (identity) {
      verdicts.push({ ...base, counted: false, ...identity });
      continue;
    }
    if (r.commitId !== head) {
      verdicts.push({ ...base, counted: false, refusal: 'stale-commit', detail: `approved ${shortSha(r.commitId)}, head is ${shortSha(head)}` });
      continue;
    }
    const counts = tally.countedBy.get(r.user.toLowerCase());
    if (counts) verdicts.push({ ...base, counted: true, detail: `approved head ${shortSha(head)}; counts for ${humanList(counts)}` });
    else verdicts.push({ ...base, counted: false, refusal: 'not-eligible', detail: [...new Set(tally.notEligible.get(r.user.toLowerCase()) ?? [])].join('; ') });
  }
  return verdicts;
}
