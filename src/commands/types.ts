import type { BreakGlass, FollowUpApproval } from '../break-glass/types.js';
import type { ConfigError } from '../config/load.js';
import type { Config, StageConfig } from '../config/schema.js';
import type { PullRequestFact, RepoPermission } from '../facts/types.js';
import type { GateResult } from '../gate/types.js';
import type { StageLock } from '../locks/types.js';
import type { PromotionPayload } from '../protocol/deployment-payload.js';
import type { VerificationVerdict } from '../protocol/evidence.js';
import type { CommandName } from './names.js';
import type { Command } from './parse.js';
import type { Requester } from './permissions.js';

/** The comment that carries a command, as GitHub reported it (the body is re-read, never taken from an old payload). */
export interface CommandComment {
  id: number;
  /** `html_url`: what every audit record and reply links to. */
  url: string;
  body: string;
  createdAt: string;
  author: { login: string; type: string };
  /** The issue or pull request it is on. */
  issueNumber: number;
}

/** What a comment is on, as the command needs it. */
export type CommentTarget =
  /** A promotion pull request (open or closed), with the policy of its base. */
  | { kind: 'promotion'; pr: PullRequestFact; config: Config; stage: StageConfig }
  /** A pull request that promotes to no stage (or from a fork). */
  | { kind: 'pull'; pr: PullRequestFact; why: string; config: Config | null }
  /** A promotion PR whose base's policy does not validate. */
  | { kind: 'invalid-config'; pr: PullRequestFact; errors: ConfigError[] }
  /** An issue; `followUp` when it is a break-glass follow-up the app opened. */
  | { kind: 'issue'; number: number; title: string; state: 'open' | 'closed'; followUp: BreakGlass | null; config: Config | null };

/** A Stagegate deployment of a stage, judged by evidence (src/protocol/evidence.ts), never by its status string alone. */
export interface StageDeployment {
  id: number;
  sha: string;
  createdAt: string;
  /** The promotion payload the app wrote (null for job deployments of protection-rule mode, and rollbacks). */
  payload: PromotionPayload | null;
  /** `promotion` (the app's deployment or an approved job), `rollback` (the Action's). */
  kind: 'promotion' | 'rollback';
  pullRequest: number | null;
  verdict: VerificationVerdict;
}

/** The `merge.approved` record of a merge commit: what the gate approved and under which policy. */
export interface MergeApproval {
  stage: string;
  mergeSha: string;
  pullRequest: number;
  baseSha: string;
  headSha: string;
  mode: 'dispatch' | 'protection_rule';
  /** The approving stage policy (windows and freezes included). */
  stageConfig: StageConfig;
  /** The payload's `policy` part the merge approved. */
  policy: PromotionPayload['policy'];
  approvers: { login: string; commit: string; at: string }[];
  at: string;
}

/** What `status` shows for one stage. */
export interface StageOverview {
  stage: string;
  branch: string;
  from: string;
  lock: StageLock | null;
  /** The newest Stagegate deployment (what runs now), or null. */
  current: StageDeployment | null;
  /** Commits on `from` not yet on `branch` (null when unknown), and the open promotion PR. */
  pending: { commits: number | null; pullRequest: number | null };
  /** Who is on deploy duty for the stage (`rotation`), and the next hand-over (when, to whom); absent without a rotation. */
  duty?: { team: string; until: string | null; next: string | null };
}

/**
 * What a command may read: GitHub's current state and the app's own records. Implemented by the
 * app (every read fresh: a role is never taken from the webhook payload); a plain fake in tests.
 */
export interface CommandFacts {
  /** The requester's role on the repository, read now from GitHub. */
  role(login: string): Promise<RepoPermission>;
  /** Whether `login` is one of `entries` (logins, or `@org/team` with active membership). */
  isMember(entries: readonly string[], login: string): Promise<boolean>;
  target(): Promise<CommentTarget>;
  /** The gate of an open promotion, evaluated now (locks and break-glass included). */
  gate(): Promise<GateResult>;
  lock(stage: string): Promise<StageLock | null>;
  breakGlass(stage: string, pullRequest: number, headSha: string): Promise<BreakGlass | null>;
  mergeApproval(stage: string, mergeSha: string): Promise<MergeApproval | null>;
  /** The stage's Stagegate deployments, newest first, with their verdicts. */
  deployments(stage: string): Promise<{ items: StageDeployment[]; complete: boolean }>;
  /** The commit a branch points at now. */
  branchHead(branch: string): Promise<string>;
  /** Every stage of the policy with its lock, what runs and what is pending. */
  overview(config: Config): Promise<StageOverview[]>;
  /** The repository's break-glasses whose follow-up is not approved yet (newest first). */
  openFollowUps(): Promise<BreakGlass[]>;
}

/** What the outer layer carries out for a command: one effect, then the reply says how it went. */
export type CommandEffect =
  | { kind: 'recheck'; pullNumber: number }
  | { kind: 'merge'; pullNumber: number; headSha: string; method: 'merge' | 'squash' | 'rebase'; stage: string }
  | {
      kind: 'redeploy';
      reason: 'retry' | 'rollback';
      stage: string;
      /** The merge commit to deploy, its promotion, and the payload to deploy it under (the approving policy). */
      sha: string;
      pullRequest: number;
      payload: PromotionPayload;
      mode: 'dispatch' | 'protection_rule';
      workflow: { file: string; ref: string };
      production: boolean;
      /** The deployment this one follows (the failed one for a retry; what runs now for a rollback), and the one whose commit is restored. */
      replaces: number | null;
      target: number | null;
    }
  | { kind: 'lock'; lock: StageLock }
  | { kind: 'unlock'; stage: string; holder: string }
  | { kind: 'break-glass'; breakGlass: BreakGlass; assignees: string[] }
  | { kind: 'approve'; breakGlass: BreakGlass; approval: FollowUpApproval };

/** A command's decision: data, no side effects. */
export type CommandDecision =
  /** Nothing happens; the reply says why. `hint` is the next step the reply suggests. */
  | { kind: 'refuse'; reason: string; hint?: string }
  /** A read-only answer (help, status): the reply is this markdown. */
  | { kind: 'answer'; markdown: string }
  | { kind: 'act'; effect: CommandEffect };

/** Everything a command's decision is made from. */
export interface CommandContext {
  command: Command;
  comment: CommandComment;
  facts: CommandFacts;
  now: Date;
  /** This app's login (`<slug>[bot]`). */
  self: string;
  repository: string;
  /** What the comment is on, and the policy that applies there (null: none valid). */
  target: CommentTarget;
  config: Config | null;
  /** Who asked, with their role as GitHub reports it now. */
  requester: Requester;
  /** The commands the requester may run here (for `help`). */
  allowed: CommandName[];
}

/** One command in its own file: its name and a side-effect-free decision over the facts. */
export interface CommandDefinition<N extends Command['name'] = Command['name']> {
  name: N;
  decide(ctx: CommandContext & { command: Extract<Command, { name: N }> }): Promise<CommandDecision>;
}

/** How carrying out an effect went; the reply is rendered from it. */
export type EffectOutcome =
  | { kind: 'recheck'; gate: GateResult | null; skipped?: string }
  | { kind: 'merge'; mergeSha: string }
  | { kind: 'redeploy'; deploymentId: number | null; workflow: string }
  | { kind: 'lock'; result: 'taken' | 'renewed' | 'replayed'; lock: StageLock; reevaluated: number[] }
  | { kind: 'unlock'; lock: StageLock; reevaluated: number[] }
  | { kind: 'break-glass'; breakGlass: BreakGlass; issue: { number: number; url: string } | null; issueError: string | null; gate: GateResult | null }
  | { kind: 'approve'; breakGlass: BreakGlass; approvals: number; required: number; closed: boolean }
  /** The effect could not be carried out (nothing, or only what `done` says, happened). */
  | { kind: 'failed'; error: string; done?: string };
