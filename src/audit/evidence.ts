import type { ConfigOrigin } from '../config/load.js';
import type { CheckFact, CommitFact, Listing, PullRequestFact } from '../facts/types.js';
import type { GateResult } from '../gate/types.js';
import { newestCheck, OWN_CHECK } from '../rules/required-checks.js';
import type { MergeDecisionEvidence, PromotionEvidence, RequiredCheckEvidence } from './types.js';

/** The required checks of a stage as they stood on the head: the newest run or status of each name. */
export function requiredCheckEvidence(names: readonly string[], checks: readonly CheckFact[]): RequiredCheckEvidence[] {
  return [...new Set(names)]
    .filter((name) => name !== OWN_CHECK)
    .map((name) => {
      const c = newestCheck(checks.filter((x) => x.name === name));
      if (!c) return { name, source: null, app: null, status: null, conclusion: null, url: null, at: null };
      return { name, source: c.source, app: c.app ?? null, status: c.status, conclusion: c.conclusion, url: c.url, at: c.at || null };
    });
}

/**
 * What the audit trail records about a promotion when it deploys: the pull request's title and URL,
 * the policy file that applied (path, ref, blob sha, fallback, `_extends`), every rule's verdict, and
 * each required check with its app, conclusion and URL. Pure: the caller hands in what the gate read.
 */
export function promotionEvidence(p: {
  pr: Pick<PullRequestFact, 'title' | 'htmlUrl'>;
  origin: ConfigOrigin;
  path: string;
  result: Pick<GateResult, 'rules'>;
  requiredChecks: readonly string[];
  /** The head's checks; null when they could not be read. */
  checks: readonly CheckFact[] | null;
}): PromotionEvidence {
  return {
    pullRequestTitle: p.pr.title,
    pullRequestUrl: p.pr.htmlUrl,
    policy: {
      path: p.path,
      ref: p.origin.ref,
      blobSha: p.origin.blobSha ?? null,
      fellBack: p.origin.fellBack,
      extendsFrom: p.origin.extendsFrom ?? null,
      extendsBlobSha: p.origin.extendsBlobSha ?? null,
    },
    rules: p.result.rules.map((r) => ({ id: r.id, title: r.title, state: r.state, reason: r.reason })),
    requiredChecks: p.checks === null ? null : requiredCheckEvidence(p.requiredChecks, p.checks),
  };
}

/**
 * The whole decision at a merge, as recorded on `merge.approved` and `deployment.created`: who merged,
 * the approvals that counted and those refused (with the commit each approved), the gate's state, the
 * range's commits (null when GitHub's listing was incomplete: never a smaller number), authors and
 * co-authors, and {@link promotionEvidence}. Pure.
 */
export function mergeDecisionEvidence(
  p: Parameters<typeof promotionEvidence>[0] & { result: Pick<GateResult, 'rules' | 'approvals' | 'state'>; mergedBy: string | null; commits: Listing<CommitFact> },
): MergeDecisionEvidence {
  const { result, commits } = p;
  const authors = [...new Set(commits.items.flatMap((c) => [c.author.login ?? c.author.name, ...c.coAuthors.map((a) => a.login ?? a.name)]))];
  return {
    mergedBy: p.mergedBy,
    approvers: result.approvals.filter((a) => a.counted).map((a) => ({ login: a.login, submittedAt: a.submittedAt, commitId: a.commitId })),
    refused: result.approvals.filter((a) => !a.counted).map((a) => ({ login: a.login, refusal: a.refusal ?? 'not-counted', commitId: a.commitId, submittedAt: a.submittedAt })),
    gateState: result.state,
    commitCount: commits.complete ? commits.items.length : null,
    ...(commits.complete ? {} : { commitsIncomplete: commits.reason }),
    authors,
    ...promotionEvidence(p),
  };
}
