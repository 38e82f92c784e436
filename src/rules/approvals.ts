import type { ReviewFact, TeamMembership } from '../facts/types.js';
import { worst, type ApprovalVerdict, type RefusalReason, type Rule, type RuleContext, type RuleResult } from '../gate/types.js';
import { dutyAt, dutyStages } from '../rotation/schedule.js';
import { earliest, errorMessage, failClosed, humanList, readAll, readFact, shortSha } from './common.js';
import { rangePeople, type RangePeople, type RangeRole } from './people.js';
import { applicableTiers, matchRisk } from './risk.js';

const ID = 'approvals';
const TITLE = 'Approvals';

/** One sign-off requirement: the stage's own, or a touched risk tier's. */
export interface SignoffRequirement {
  /** `production` or the tier's name. */
  label: string;
  kind: 'stage' | 'risk' | 'duty';
  /** Approvals needed (0 when waived because only low-risk paths changed). */
  approvals: number;
  /** Users and `@org/team`s whose approvals count; undefined means any reviewer. */
  reviewers: string[] | undefined;
  /** The configured count was waived: the range touches only low-risk paths. */
  waived: boolean;
}

/** The approvals rule's result and the verdict on every approval. */
export interface ApprovalsAssessment {
  result: RuleResult;
  verdicts: ApprovalVerdict[];
  /** Every requirement judged, with its count (0 when waived or none is configured). */
  requirements: SignoffRequirement[];
}

type Eligibility = { kind: 'yes'; via: string } | { kind: 'no'; why: string } | { kind: 'unknown'; why: string };

const ROLE_REFUSAL: Record<RangeRole, RefusalReason> = { author: 'author', committer: 'committer', 'co-author': 'co-author', pusher: 'pusher' };
const ROLE_VERB: Record<RangeRole, string> = { author: 'authored', committer: 'committed', 'co-author': 'co-authored', pusher: 'pushed' };
const DECISIVE = new Set<ReviewFact['state']>(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED']);

/** Reviews in submission order (ties keep listing order), drafts (`PENDING`) left out. */
function ordered(reviews: readonly ReviewFact[]): ReviewFact[] {
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

function describeReviewers(reviewers: string[] | undefined): string {
  return reviewers === undefined ? 'reviewers with write access' : humanList(reviewers, 'or');
}

/**
 * Approvals: every sign-off requirement (the stage's, plus each touched risk tier's) needs its number of
 * approvals of the current head commit from eligible reviewers. Eligible: a listed user (case-insensitive)
 * or an active member of a listed `@org/team`; with no `reviewers` list, anyone with write (or maintain,
 * admin) access to the repository is eligible — never a mere reader or outsider. The latest decisive review per reviewer stands (COMMENTED changes
 * nothing, DISMISSED withdraws). The PR author never counts; with `separation_of_duties`, neither does any
 * author, committer, co-author or pusher of a commit in the range. A standing change request from an eligible
 * reviewer blocks whatever commit it was made on. A range touching only low-risk paths needs no approvals
 * for the stage requirement, but change requests still block.
 */
export async function assessApprovals(ctx: RuleContext): Promise<ApprovalsAssessment> {
  const { stage, config, facts } = ctx;
  const pr = await readFact('the pull request', () => facts.pullRequest());
  const head = pr.headSha;
  const reviews = await readAll('review', () => facts.reviews());

  const tiers = applicableTiers(config, stage);
  let lowOnly = false;
  const requirements: SignoffRequirement[] = [];
  const tierRequirements: SignoffRequirement[] = [];
  if (tiers.some(({ tier }) => tier.signoff !== undefined || tier.level === 'low')) {
    const files = await readAll('changed file', () => facts.files());
    const risk = matchRisk(files, config, stage);
    lowOnly = risk.summary.lowOnly;
    for (const t of risk.touched) {
      if (t.tier.signoff) tierRequirements.push({ label: t.name, kind: 'risk', approvals: t.tier.signoff.approvals, reviewers: t.tier.signoff.reviewers, waived: false });
    }
  }
  requirements.push({
    label: stage.name,
    kind: 'stage',
    approvals: lowOnly ? 0 : stage.signoff.approvals,
    reviewers: stage.signoff.reviewers,
    waived: lowOnly && stage.signoff.approvals > 0,
  });
  requirements.push(...tierRequirements);
  const duty = dutyRequirement(config, stage, ctx.now);
  if (duty) requirements.push(duty.requirement);

  let people: RangePeople | null = null;
  if (stage.signoff.separation_of_duties) {
    const [commits, pushes] = await Promise.all([readAll('commit in the range', () => facts.commits()), readAll('push of the range (who pushed each commit)', () => facts.pushes())]);
    people = rangePeople(commits, pushes);
  }

  const prAuthor = pr.author.toLowerCase();
  const identityRefusal = (login: string): { refusal: RefusalReason; detail: string } | null => {
    if (login.toLowerCase() === prAuthor) return { refusal: 'pr-author', detail: `${login} opened the pull request` };
    const p = people?.participants.get(login.toLowerCase());
    if (!p) return null;
    for (const role of ['author', 'committer', 'co-author', 'pusher'] as const) {
      const shas = p.roles.get(role);
      if (!shas) continue;
      const via = role === 'co-author' && p.viaEmail.length > 0 ? ` (by email ${p.viaEmail.join(', ')})` : '';
      return { refusal: ROLE_REFUSAL[role], detail: `${login} ${ROLE_VERB[role]} ${shas.map(shortSha).join(', ')} in the range${via}` };
    }
    return null;
  };

  const memberships = new Map<string, Promise<TeamMembership>>();
  const membership = (org: string, team: string, login: string): Promise<TeamMembership> => {
    const key = `${org}/${team}/${login}`.toLowerCase();
    let p = memberships.get(key);
    if (!p) {
      p = facts.teamMembership(org, team, login);
      p.catch(() => undefined);
      memberships.set(key, p);
    }
    return p;
  };
  const eligibility = async (login: string, reviewers: string[] | undefined): Promise<Eligibility> => {
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
        const state = await membership(org, team, login);
        if (state === 'active') return { kind: 'yes', via: ref };
        if (state === 'pending') inactive.push(`${login}'s membership of ${ref} is pending`);
      } catch (err) {
        problems.push(`could not read ${login}'s membership of ${ref}: ${errorMessage(err)}`);
      }
    }
    if (problems.length > 0) return { kind: 'unknown', why: problems.join('; ') };
    return { kind: 'no', why: inactive.length > 0 ? inactive.join('; ') : `${login} is not among ${humanList(reviewers, 'or')}` };
  };

  const standing = standingReviews(reviews);
  const freshApprovals = [...standing.values()].filter((r) => r.state === 'APPROVED' && r.commitId === head && identityRefusal(r.user) === null);
  const changeRequests = [...standing.values()].filter((r) => r.state === 'CHANGES_REQUESTED');

  const countedBy = new Map<string, string[]>();
  const notEligible = new Map<string, string[]>();
  const children: RuleResult[] = [];
  for (const req of requirements) {
    const title = req.kind === 'stage' ? `Sign-off for ${req.label}` : req.kind === 'duty' ? `Sign-off by ${req.label}` : `Sign-off for risk tier ${req.label}`;
    const counted: string[] = [];
    const unknown: string[] = [];
    for (const r of freshApprovals) {
      const e = await eligibility(r.user, req.reviewers);
      if (e.kind === 'yes') {
        counted.push(r.user);
        countedBy.set(r.user.toLowerCase(), [...(countedBy.get(r.user.toLowerCase()) ?? []), req.label]);
      } else {
        notEligible.set(r.user.toLowerCase(), [...(notEligible.get(r.user.toLowerCase()) ?? []), e.why]);
        if (e.kind === 'unknown') unknown.push(e.why);
      }
    }
    const blockers: string[] = [];
    for (const r of changeRequests) {
      const e = await eligibility(r.user, req.reviewers);
      if (e.kind === 'yes') blockers.push(`changes requested by ${r.user} (on ${shortSha(r.commitId)})`);
      else if (e.kind === 'unknown') blockers.push(`cannot tell whether ${r.user}'s change request counts: ${e.why}`);
    }
    const tally = `${Math.min(counted.length, req.approvals)} of ${req.approvals} approval${req.approvals === 1 ? '' : 's'} of head ${shortSha(head)}`;
    let state: RuleResult['state'];
    let reason: string;
    if (blockers.length > 0) {
      state = 'blocked';
      reason = `${blockers.join('; ')}; it must be withdrawn (by approving) or dismissed`;
    } else if (counted.length >= req.approvals) {
      state = 'passed';
      if (req.waived) reason = 'only low-risk paths changed: no manual sign-off needed';
      else if (req.approvals === 0) reason = 'no approval required';
      else reason = `${tally}: ${humanList(counted)}`;
    } else if (unknown.length > 0) {
      state = 'blocked';
      reason = `${tally}; ${unknown.join('; ')}`;
    } else {
      state = 'pending';
      reason = `${tally} from ${describeReviewers(req.reviewers)}${counted.length > 0 ? ` (so far: ${humanList(counted)})` : ''}`;
    }
    children.push({ id: ID, title, state, reason, matched: counted, ...(req.kind === 'duty' && duty?.until ? { nextChangeAt: duty.until } : {}) });
  }

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
    const counts = countedBy.get(r.user.toLowerCase());
    if (counts) verdicts.push({ ...base, counted: true, detail: `approved head ${shortSha(head)}; counts for ${humanList(counts)}` });
    else verdicts.push({ ...base, counted: false, refusal: 'not-eligible', detail: [...new Set(notEligible.get(r.user.toLowerCase()) ?? [])].join('; ') });
  }

  const state = worst(children.map((c) => c.state));
  const reason = children.length === 1 ? children[0]!.reason : children.map((c) => `${c.title.replace(/^Sign-off for /, '')}: ${c.reason}`).join('; ');
  const matched = [...new Set(children.flatMap((c) => c.matched))];
  const nextChangeAt = children.reduce<string | undefined>((acc, c) => earliest(acc, c.nextChangeAt), undefined);
  return { result: { id: ID, title: TITLE, state, reason, matched, children, ...(nextChangeAt ? { nextChangeAt } : {}) }, verdicts, requirements };
}

/**
 * `rotation.require`: one approval of the head from the team (or user) on duty, on the stages the
 * rotation covers. Before the rotation starts nobody is on duty and nothing extra is required. The
 * requirement changes at the hand-over (`until`), so the gate is evaluated again then.
 */
function dutyRequirement(config: RuleContext['config'], stage: RuleContext['stage'], now: Date): { requirement: SignoffRequirement; until: string | null } | null {
  const r = config.rotation;
  if (!r?.require || !dutyStages(config).some((s) => s.name === stage.name)) return null;
  const duty = dutyAt(r, now);
  if (!duty.team) return null;
  return {
    requirement: { label: `${duty.team} (on duty)`, kind: 'duty', approvals: 1, reviewers: [duty.team], waived: false },
    until: duty.until ? duty.until.toISOString() : null,
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
