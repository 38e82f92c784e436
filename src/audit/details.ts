import type { RecordedCheckValues } from '../protocol/verification-values.js';

/** The details each audit record kind carries, and the evidence types they are made of (re-exported by types.ts). */

/** A person on a commit: GitHub login when GitHub knows it, else null, plus the git identity. */
export type CommitPerson = {
  login: string | null;
  name: string;
  email: string;
};

/** One commit of a promotion. */
export type PromotionCommit = {
  sha: string;
  author: CommitPerson;
  committer: CommitPerson;
  /** From `Co-authored-by:` trailers. */
  coAuthors: CommitPerson[];
  /** Who pushed the commit to the head branch (GitHub's activity log), where recorded. */
  pushers?: string[];
  /** GitHub's signature verification of the commit, where recorded. */
  verification?: { verified: boolean; reason: string } | null;
  /** The commit's author date (ISO 8601), where recorded: where lead time for changes starts. */
  authoredAt?: string;
  /** How many parents the commit has, where recorded (more than one: a merge commit, not a change of its own). */
  parents?: number;
};

/**
 * `promotion.commits`: the commits of a promotion, recorded once per repository + PR + head.
 * Key: `promotion:<repo>#<pr>@<head>:commits` (see {@link promotionCommitsKey}).
 */
export type PromotionCommitsDetails = {
  commits: PromotionCommit[];
};

/** `gate.result`: recorded only when the state or the reasons changed for that PR head. */
export type GateResultDetails = {
  state: 'passed' | 'pending' | 'blocked';
  /** Check run conclusion (`success`, `failure`, ...), or null while pending. */
  conclusion: string | null;
  rules: Array<{ id: string; state: string; reason: string }>;
};

/** Why an approval did not count. */
export type ApprovalRefusal = 'stale-commit' | 'author' | 'committer' | 'co-author' | 'pusher' | 'not-eligible' | 'superseded' | 'pr-author';

/** `approval.counted` / `approval.refused` (the record's actor is the reviewer). */
export type ApprovalDetails = {
  login: string;
  reviewId: number;
  /** The commit the review approved. */
  commitId: string;
  submittedAt: string;
  /** Present on `approval.refused`. */
  refusal?: ApprovalRefusal;
  detail?: string;
};

/** An approval that counted, as listed on a deployment. */
export type DeploymentApprover = { login: string; submittedAt: string; commitId: string };

/** An approval that was refused, as listed on a deployment. */
export type DeploymentRefusedApproval = {
  login: string; /** An {@link ApprovalRefusal}, or a reason a later version recorded (kept as written). */
  refusal: string;
  commitId: string;
  submittedAt?: string;
};

/** Where the policy that decided a promotion was read. */
export type PolicyEvidence = {
  /** The file, e.g. `.github/stagegate.yml`. */
  path: string;
  /** The ref (or commit) it was read at: the base before the merge. */
  ref: string;
  /** Git blob sha of the file as read (`git hash-object`). */
  blobSha: string | null;
  /** True when the base had no file and the default branch's was used. */
  fellBack: boolean;
  /** The `_extends` source merged in (`owner/repo:path`), and its blob sha. */
  extendsFrom: string | null;
  extendsBlobSha: string | null;
};

/** One rule of the gate as it was judged. */
export type RuleEvidence = { id: string; title: string; state: string; reason: string };

/** A required check as it stood on the head commit (the newest run or status of the name). */
export type RequiredCheckEvidence = {
  name: string;
  /** `check_run` or `status`; null when nothing of that name was reported. */
  source: 'check_run' | 'status' | null;
  /** The check run's app (slug) or the status's creator (login). */
  app: string | null;
  status: string | null;
  conclusion: string | null;
  url: string | null;
  at: string | null;
};

/** What `deployment.created` records about the promotion beyond the deployment itself. */
export type PromotionEvidence = {
  pullRequestTitle: string;
  pullRequestUrl: string;
  policy: PolicyEvidence;
  rules: RuleEvidence[];
  /** Null when the checks of the head could not be read. */
  requiredChecks: RequiredCheckEvidence[] | null;
};

/**
 * `deployment.created`: a GitHub Deployment made for a merged promotion. The record's
 * baseSha/headSha are the promotion range. One export row per record of this kind.
 */
export type DeploymentCreatedDetails = {
  deploymentId: number | string;
  environment: string;
  /** The commit deployed. */
  sha: string;
} & MergeDecisionEvidence;

/** What decided a promotion at its merge: recorded on `merge.approved` and on the deployment made for it. */
export type MergeDecisionEvidence = {
  mergedBy: string | null;
  approvers: DeploymentApprover[];
  refused: DeploymentRefusedApproval[];
  gateState: string;
  /** Commits in the range; null when GitHub's listing was incomplete. */
  commitCount: number | null;
  /** Why the commit listing was incomplete, when it was. */
  commitsIncomplete?: string;
  /** Login, or git name where there is no login. */
  authors: string[];
} & Partial<PromotionEvidence>;

/** `deployment.dispatched`: the deploy workflow was dispatched. */
export type DeploymentDispatchedDetails = {
  deploymentId: number | string;
  workflow: string;
  ref: string;
  inputs: Record<string, string>;
};

/** `deployment.status`: a status set on a deployment. */
export type DeploymentStatusDetails = {
  deploymentId: number | string;
  statusId: number | string;
  state: string;
  description: string | null;
  logUrl: string | null;
  environmentUrl: string | null;
};

/** `verification.result`: what the Action's smoke tests and metric checks concluded. */
export type VerificationResultDetails = {
  deploymentId: number | string;
  /** `untrusted`: a success that is not evidence (see `why`): not from a successful run of the protected deploy workflow bound to the deployment. */
  result: 'success' | 'failure' | 'rolled_back' | 'untrusted';
  reasonCode: string | null;
  description: string;
  /** Whether the result is evidence (src/protocol/evidence.ts); absent on records written before provenance was checked. */
  trusted?: boolean;
  /** Why it is (not) trusted. */
  why?: string;
  /** The workflow run the result rests on. */
  runId?: number | null;
  runUrl?: string | null;
  /** Each check's values as that run wrote them in the deployment's statuses (src/protocol/verification-values.ts); [] when not recorded. */
  checks?: RecordedCheckValues[];
  /** Why `checks` is empty: the run posted none, or what it posted was ambiguous or incomplete. */
  valuesWhy?: string;
};

/** `merge.approved`: a promotion merged with a green gate; its merge commit may deploy to the stage, under the policy recorded here. */
export type MergeApprovedDetails = {
  mergeCommitSha: string;
  mode: 'dispatch' | 'protection_rule';
  /** The approving policy (the promotion payload's `policy`). */
  policy: Record<string, unknown>;
  /** The whole stage as the approving policy had it (windows and freezes included). */
  stage: Record<string, unknown>;
  approvers: { login: string; commit: string; at: string }[];
  /** The decision in full (absent on records made before it was recorded): protection-rule mode's export rows come from it. */
  evidence?: MergeDecisionEvidence;
};

/** `protection_rule.reviewed`: the app answered a custom deployment protection rule request. */
export type ProtectionRuleReviewedDetails = {
  deploymentId: number;
  runId: number;
  environment: string;
  sha: string;
  state: 'approved' | 'rejected';
  reason: string;
};

/** `deploy.refused`: the Action refused to deploy (nothing ran); recorded from its `error` status. */
export type DeployRefusedDetails = {
  deploymentId: number | string;
  /** The commit the refused deployment was for (absent on older records). */
  sha?: string;
  reasonCode: string;
  description: string;
  /** Who wrote the refusing status (the Action's token). */
  creator: string | null;
  /** Who made the refused deployment (absent on older records). */
  deploymentCreator?: string | null;
};

/** `rollback`: a rollback after a failed deployment. */
export type RollbackDetails = {
  /** The failed deployment. */
  deploymentId: number | string;
  rollbackDeploymentId: number | string | null;
  /** The commit rolled back to. */
  sha: string;
  state: string;
};

/** `merge.bypassed`: a promotion merged while the gate was not green (nothing is deployed). */
export type MergeBypassedDetails = {
  mergeCommitSha: string;
  mergedBy: string | null;
  gateState: string;
  reasons: string[];
};

/** `promotion.opened`: the app opened the standing promotion PR of a stage (`promotion_pr: open`). */
export type PromotionOpenedDetails = {
  pullRequest: number;
  title: string;
  /** The `from` branch tip that had commits the stage branch lacked. */
  fromSha: string;
  baseSha: string;
  ahead: number;
};

/** `promotion.auto_merged`: the app merged a promotion itself (`auto_merge: true`, no manual sign-off needed, gate green). */
export type PromotionAutoMergedDetails = {
  pullRequest: number;
  /** The head the gate passed on; the merge was pinned to it. */
  headSha: string;
  mergeCommitSha: string | null;
  /** `app`: the app's own merge; `github`: GitHub's auto-merge the app enabled. */
  via: 'app' | 'github';
  /** The policy in force (where it was read, its blob sha) and why no manual sign-off was needed. */
  policy: { ref: string; path: string; blobSha: string | null };
  why: string;
};

/** `release.published`: a GitHub Release for a deployment whose verification is trusted. */
export type ReleasePublishedDetails = {
  deploymentId: number;
  releaseId: number;
  tag: string;
  url: string;
  sha: string;
  /** The previous verified deployment the notes start from (null: the first). */
  previousDeploymentId: number | null;
  previousSha: string | null;
  pullRequests: number[];
  /** The workflow run whose success is the evidence. */
  runId: number;
};

/** `duty.requested`: the team (or user) on duty was requested to review a promotion. */
export type DutyRequestedDetails = {
  pullRequest: number;
  team: string;
  /** The turn's start (the request is made once per PR and turn). */
  since: string | null;
  until: string | null;
  /** `requested`, or `failed` with GitHub's answer (e.g. the team has no access to the repository). */
  outcome: 'requested' | 'failed';
  error?: string;
};

/** `command`: one ChatOps command (`/stagegate …` in a comment), whatever became of it. The record's actor is the commenter. */
export type CommandDetails = {
  command: string;
  text: string;
  commentId: number;
  /** The comment's `html_url`. */
  commentUrl: string;
  issueNumber: number;
  /** The commenter's role on the repository as GitHub reported it when the command ran. */
  role: string | null;
  /** `done` (carried out or answered), `refused` (nothing happened), `failed` (carrying it out failed). */
  outcome: 'done' | 'refused' | 'failed';
  /** What it did, or why not, in a sentence. */
  result: string;
  /** The effect carried out (`merge`, `redeploy`, `lock`, …), and the objects it made. */
  effect?: string;
  deploymentId?: number | null;
  lockId?: string;
  breakGlassId?: string;
  replyCommentId?: number | null;
};

/** `lock.taken`: a stage was locked (or the holder renewed the lock). */
export type LockTakenDetails = { lockId: string; holder: string; reason: string | null; expiresAt: string | null; commentUrl: string | null; result: 'taken' | 'renewed' };

/** `lock.released`: a lock ended, by `unlock` or by expiring. */
export type LockReleasedDetails = { lockId: string; holder: string; how: 'unlocked' | 'expired'; by: string | null; commentUrl: string | null; lockedAt: string; reason: string | null };

/** `break_glass.recorded`: a break-glass let a promotion head through; its follow-up issue. */
export type BreakGlassRecordedDetails = {
  breakGlassId: string;
  by: string;
  reason: string;
  waive: string[];
  commentUrl: string | null;
  approvalsRequired: number;
  deadline: string;
  reviewers: string[];
  issueNumber: number | null;
  issueUrl: string | null;
  issueError?: string;
};

/** `break_glass.approved`: one follow-up approval of a break-glass. */
export type BreakGlassApprovedDetails = { breakGlassId: string; login: string; commentUrl: string | null; approvals: number; required: number };

/** `break_glass.overdue`: a follow-up passed its deadline short of approvals (flagged on the PR and the issue). */
export type BreakGlassOverdueDetails = { breakGlassId: string; deadline: string; approvals: number; required: number; issueUrl: string | null };

/** Details of each kind. */
export interface AuditDetailsByKind {
  'gate.result': GateResultDetails;
  'approval.counted': ApprovalDetails;
  'approval.refused': ApprovalDetails;
  'promotion.commits': PromotionCommitsDetails;
  'deployment.created': DeploymentCreatedDetails;
  'deployment.dispatched': DeploymentDispatchedDetails;
  'deployment.status': DeploymentStatusDetails;
  'verification.result': VerificationResultDetails;
  rollback: RollbackDetails;
  'merge.bypassed': MergeBypassedDetails;
  'merge.approved': MergeApprovedDetails;
  'protection_rule.reviewed': ProtectionRuleReviewedDetails;
  'deploy.refused': DeployRefusedDetails;
  'promotion.opened': PromotionOpenedDetails;
  'promotion.auto_merged': PromotionAutoMergedDetails;
  'release.published': ReleasePublishedDetails;
  'duty.requested': DutyRequestedDetails;
  command: CommandDetails;
  'lock.taken': LockTakenDetails;
  'lock.released': LockReleasedDetails;
  'break_glass.recorded': BreakGlassRecordedDetails;
  'break_glass.approved': BreakGlassApprovedDetails;
  'break_glass.overdue': BreakGlassOverdueDetails;
}
