import type { Waivable } from '../config/schema.js';

/** One approval of a break-glass, given afterwards on its follow-up issue (`/stagegate approve`). */
export interface FollowUpApproval {
  login: string;
  at: string;
  commentUrl: string | null;
  note: string | null;
}

/** What a break-glass owes afterwards: a follow-up issue, approved by N reviewers before a deadline. */
export interface FollowUp {
  /** The issue the app opened (null until it was opened: opening it failed, or has not happened yet). */
  issueNumber: number | null;
  issueUrl: string | null;
  approvalsRequired: number;
  /** ISO 8601. */
  deadline: string;
  /** Users or `@org/team`s whose approval counts; empty: anyone with write access. */
  reviewers: string[];
  approvals: FollowUpApproval[];
  /** When the app flagged it overdue on the pull request and the issue (null: not yet). */
  overdueFlaggedAt: string | null;
}

/**
 * A break-glass: a member of a `break_glass` team let one promotion's head through the gate
 * without the missing sign-offs, window or freeze (what `waive` lists). Bound to that head: a
 * new push needs a new break-glass.
 */
export interface BreakGlass {
  id: string;
  repository: string;
  stage: string;
  pullRequest: number;
  headSha: string;
  by: string;
  reason: string;
  at: string;
  waive: Waivable[];
  commentUrl: string | null;
  followUp: FollowUp;
}

/** Where a follow-up stands: `approved` (enough approvals), `overdue` (the deadline passed first) or `open`. */
export type FollowUpState = 'open' | 'approved' | 'overdue';
