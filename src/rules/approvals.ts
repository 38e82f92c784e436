import { worst, type ApprovalVerdict, type Rule, type RuleContext, type RuleResult } from '../gate/types.js';
import { eligibility, identityRefusal } from './approvals/eligibility.js';
import { signoffRequirements, type SignoffRequirement } from './approvals/requirements.js';
import { approvalVerdicts, standingReviews, type Tally } from './approvals/verdicts.js';
import { earliest, failClosed, humanList, readAll, readFact, shortSha } from './common.js';
import { rangePeople, type RangePeople } from './people.js';

export type { SignoffRequirement } from './approvals/requirements.js';
export { standingReviews } from './approvals/verdicts.js';

const ID = 'approvals';
const TITLE = 'Approvals';

/** The approvals rule's result and the verdict on every approval. */
export interface ApprovalsAssessment {
  result: RuleResult;
  verdicts: ApprovalVerdict[];
  /** Every requirement judged, with its count (0 when waived or none is configured). */
  requirements: SignoffRequirement[];
}

function describeReviewers(reviewers: string[] | undefined): string {
  return reviewers === undefined ? 'reviewers with write access' : humanList(reviewers, 'or');
}

function requirementTitle(req: SignoffRequirement): string {
  return req.kind === 'stage' ? `Sign-off for ${req.label}` : req.kind === 'duty' ? `Sign-off by ${req.label}` : `Sign-off for risk tier ${req.label}`;
}

/**
 * Approvals: every sign-off requirement (the stage's, plus each touched risk tier's) needs its number of
 * approvals of the current head commit from eligible reviewers (see {@link eligibility}). The latest
 * decisive review per reviewer stands (COMMENTED changes nothing, DISMISSED withdraws). The PR author
 * never counts; with `separation_of_duties`, neither does any author, committer, co-author or pusher of a
 * commit in the range. A standing change request from an eligible reviewer blocks whatever commit it was
 * made on. A range touching only low-risk paths needs no approvals for the stage requirement, but change
 * requests still block.
 */
export async function assessApprovals(ctx: RuleContext): Promise<ApprovalsAssessment> {
  const { stage, facts } = ctx;
  const pr = await readFact('the pull request', () => facts.pullRequest());
  const head = pr.headSha;
  const reviews = await readAll('review', () => facts.reviews());
  const requirements = await signoffRequirements(ctx);

  let people: RangePeople | null = null;
  if (stage.signoff.separation_of_duties) {
    const [commits, pushes] = await Promise.all([readAll('commit in the range', () => facts.commits()), readAll('push of the range (who pushed each commit)', () => facts.pushes())]);
    people = rangePeople(commits, pushes);
  }
  const refusal = (login: string) => identityRefusal(login, pr.author, people);

  const standing = standingReviews(reviews);
  const freshApprovals = [...standing.values()].filter((r) => r.state === 'APPROVED' && r.commitId === head && refusal(r.user) === null);
  const changeRequests = [...standing.values()].filter((r) => r.state === 'CHANGES_REQUESTED');

  const tally: Tally = { countedBy: new Map(), notEligible: new Map() };
  const children: RuleResult[] = [];
  for (const req of requirements) {
    const counted: string[] = [];
    const unknown: string[] = [];
    for (const r of freshApprovals) {
      const e = await eligibility(facts, r.user, req.reviewers);
      const key = r.user.toLowerCase();
      if (e.kind === 'yes') {
        counted.push(r.user);
        tally.countedBy.set(key, [...(tally.countedBy.get(key) ?? []), req.label]);
      } else {
        tally.notEligible.set(key, [...(tally.notEligible.get(key) ?? []), e.why]);
        if (e.kind === 'unknown') unknown.push(e.why);
      }
    }
    const blockers: string[] = [];
    for (const r of changeRequests) {
      const e = await eligibility(facts, r.user, req.reviewers);
      if (e.kind === 'yes') blockers.push(`changes requested by ${r.user} (on ${shortSha(r.commitId)})`);
      else if (e.kind === 'unknown') blockers.push(`cannot tell whether ${r.user}'s change request counts: ${e.why}`);
    }
    const tallyLine = `${Math.min(counted.length, req.approvals)} of ${req.approvals} approval${req.approvals === 1 ? '' : 's'} of head ${shortSha(head)}`;
    let state: RuleResult['state'];
    let reason: string;
    if (blockers.length > 0) {
      state = 'blocked';
      reason = `${blockers.join('; ')}; it must be withdrawn (by approving) or dismissed`;
    } else if (counted.length >= req.approvals) {
      state = 'passed';
      if (req.waived) reason = 'only low-risk paths changed: no manual sign-off needed';
      else if (req.approvals === 0) reason = 'no approval required';
      else reason = `${tallyLine}: ${humanList(counted)}`;
    } else if (unknown.length > 0) {
      state = 'blocked';
      reason = `${tallyLine}; ${unknown.join('; ')}`;
    } else {
      state = 'pending';
      reason = `${tallyLine} from ${describeReviewers(req.reviewers)}${counted.length > 0 ? ` (so far: ${humanList(counted)})` : ''}`;
    }
    children.push({ id: ID, title: requirementTitle(req), state, reason, matched: counted, ...(req.until ? { nextChangeAt: req.until } : {}) });
  }

  const verdicts = approvalVerdicts(reviews, head, refusal, tally);
  const state = worst(children.map((c) => c.state));
  const reason = children.length === 1 ? children[0]!.reason : children.map((c) => `${c.title.replace(/^Sign-off for /, '')}: ${c.reason}`).join('; ');
  const matched = [...new Set(children.flatMap((c) => c.matched))];
  const nextChangeAt = children.reduce<string | undefined>((acc, c) => earliest(acc, c.nextChangeAt), undefined);
  const signoff = {
    required: requirements.reduce((n, r) => n + r.approvals, 0),
    requirements: requirements.map((r) => ({ label: r.label, kind: r.kind, approvals: r.approvals, waived: r.waived })),
  };
  return {
    result: { id: ID, title: TITLE, state, reason, matched, children, ...(nextChangeAt ? { nextChangeAt } : {}), details: { rule: 'approvals', value: { verdicts, signoff } } },
    verdicts,
    requirements,
  };
}

/** Approvals (see {@link assessApprovals}). */
export const approvalsRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['pull_request', 'pull_request_review'],
  applies: () => true,
  evaluate: failClosed(ID, TITLE, async (ctx) => (await assessApprovals(ctx)).result),
};
