import type { PolicyEvidence, PromotionCommit, RequiredCheckEvidence, RuleEvidence } from './types.js';

// The rows `audit export` writes (docs/audit.md lists the CSV columns and JSON fields).

/** Filters of an export of one repository. `since` is inclusive, `until` exclusive (normalised ISO times). */
export interface ExportOptions {
  repository: string;
  since?: string;
  until?: string;
  stage?: string;
  /** Rows fetched per query (default 500). */
  pageSize?: number;
  /**
   * What verification found: null when the chain is intact, else the seq of the first broken record
   * (rows built from it or later are flagged `after-break`). Absent: not verified (`unverified`).
   */
  brokenFromSeq?: number | null;
}

/** A counted approval: who approved which commit, when. */
export interface ExportApproval {
  login: string;
  commitId: string;
  submittedAt: string;
}

/** A refused approval: who, which commit, why it did not count. */
export interface ExportRefusal extends ExportApproval {
  refusal: string;
}

/** A deployment status, in order. */
export interface ExportStatus {
  state: string;
  description: string | null;
  at: string;
  logUrl: string | null;
}

/** The verification outcome of a deployment, with the values the Action reported where recorded. */
export interface ExportVerification {
  result: string;
  reasonCode: string | null;
  description: string;
  at: string;
  /** Whether the result is evidence (a successful run of the protected deploy workflow bound to the deployment); null on older records. */
  trusted: boolean | null;
  /** Why it is (not) trusted. */
  why: string | null;
  /** The workflow run the result rests on. */
  runUrl: string | null;
  /**
   * Per-check values (smoke tests, metric checks: `kind`, `name`, `verdict`, `observed`, `threshold`,
   * `index`, `statusId`, `at`), taken from the statuses the protected run wrote
   * (src/protocol/verification-values.ts); empty when not recorded (see `valuesWhy`).
   */
  checks: Record<string, unknown>[];
  /** Why no values are recorded (none posted, ambiguous, older record); null when they are. */
  valuesWhy: string | null;
}

/** A rollback of a deployment. */
export interface ExportRollback {
  rollbackDeploymentId: string | null;
  sha: string;
  state: string;
  at: string;
}

/** A deployment that was refused: nothing ran. */
export interface ExportRefusedDeployment {
  /** Who refused: the Action (preflight) or the app answering a protection rule. */
  by: 'action' | 'protection-rule';
  /** The Action's reason code (`not-approved`, …); null for a protection-rule rejection. */
  reasonCode: string | null;
  reason: string;
  /** Who made the deployment (Action refusals) or whose run asked (protection-rule rejections). */
  requestedBy: string | null;
  /** The workflow run that asked (protection-rule rejections). */
  runId: number | null;
}

/** A ChatOps command (`/stagegate …` in a comment): who asked what, and what became of it. */
export interface ExportCommand {
  name: string;
  text: string;
  by: string | null;
  /** The requester's role as GitHub reported it when it ran (null on a deployment row made by a command). */
  role: string | null;
  /** `done`, `refused` or `failed`. */
  outcome: string;
  result: string;
  commentUrl: string | null;
}

/** The break-glass a deployed promotion head went through, and its follow-up. */
export interface ExportBreakGlass {
  by: string;
  reason: string;
  at: string;
  commentUrl: string | null;
  waived: string[];
  issueUrl: string | null;
  /** Logins who approved it afterwards, in order. */
  approvals: string[];
  required: number;
  deadline: string;
  /** `approved`, `overdue` (flagged past the deadline short of approvals) or `open`. */
  state: 'approved' | 'overdue' | 'open';
}

/**
 * One export row: a deployment with everything that decided and happened to it (`deployment`), a
 * merge that bypassed the gate (`bypass`), or a deployment refused before anything ran (`refused`).
 */
export interface ExportRow {
  kind: 'deployment' | 'bypass' | 'refused' | 'command' | 'lock-expired' | 'follow-up-overdue';
  repository: string;
  stage: string;
  pullRequest: number | null;
  pullRequestTitle: string | null;
  pullRequestUrl: string | null;
  baseSha: string | null;
  headSha: string | null;
  /** `base..head`. */
  range: string;
  /** Null for a bypassed merge. */
  deploymentId: string | null;
  /** Commit deployed (deployment) or merge commit (bypass). */
  sha: string | null;
  /** Time of the deployment (or of the bypassed merge). */
  at: string;
  mergedBy: string | null;
  /** The policy file that applied; null on records made before it was recorded. */
  policy: PolicyEvidence | null;
  /** Commits in the range; null when unknown (an incomplete listing). */
  commitCount: number | null;
  /** Every commit of the range with author, committer and co-authors (from `promotion.commits`). */
  commits: PromotionCommit[];
  /** Logins, or git names without a login: authors and co-authors. */
  authors: string[];
  committers: string[];
  approvals: ExportApproval[];
  refusedApprovals: ExportRefusal[];
  /** Each required check with its app, conclusion and URL; null when not recorded. */
  requiredChecks: RequiredCheckEvidence[] | null;
  /** The gate's verdict per rule at merge; empty when not recorded. */
  rules: RuleEvidence[];
  gateState: string | null;
  /** Every status of the deployment in order; the last is the outcome. */
  statuses: ExportStatus[];
  /** The workflow run that deployed (the newest status's log URL). */
  workflowRunUrl: string | null;
  verification: ExportVerification | null;
  rollback: ExportRollback | null;
  bypass: boolean;
  bypassReasons: string[];
  /** Why the deployment was refused (`kind: 'refused'`), else null. */
  refusal: ExportRefusedDeployment | null;
  /** The promotion PR was opened by Stagegate (a standing PR), when recorded. */
  standingPr: boolean;
  /** Stagegate merged the promotion itself (`auto_merge`), why, and how. */
  autoMerged: { via: string; why: string; at: string } | null;
  /** Teams (or users) on duty requested to review the promotion. */
  dutyRequested: string[];
  /** The GitHub Release published for this deployment (verified), if any. */
  release: { tag: string; url: string; at: string } | null;
  /** The ChatOps command of a `command` row, or the one that made a deployment (`deploy` again, `rollback`); else null. */
  command: ExportCommand | null;
  /** The break-glass of the row's promotion head (deployment, command and `follow-up-overdue` rows), else null. */
  breakGlass: ExportBreakGlass | null;
  /**
   * `verified`: the chain was verified intact before the export (and this row's record with it);
   * `after-break`: built from a record at or after the first broken one; `unverified`: rows read
   * without verifying (the library's `exportRows` alone; the CLI always verifies).
   */
  integrity: 'verified' | 'after-break' | 'unverified';
  /** Seq and hash of the audit record the row is built from (check it with `verify`). */
  auditSeq: number;
  auditHash: string;
}
