import type { Kysely } from 'kysely';
import type { HashedContent } from './hash.js';
import type { AuditSchema } from './schema.js';
import type { DeployIntents } from './deploy-intents.js';
/** Kinds of audit records. */
export type AuditKind =
  | 'gate.result'
  | 'approval.counted'
  | 'approval.refused'
  | 'promotion.commits'
  | 'deployment.created'
  | 'deployment.dispatched'
  | 'deployment.status'
  | 'verification.result'
  | 'rollback'
  | 'merge.bypassed'
  | 'merge.approved'
  | 'protection_rule.reviewed'
  | 'deploy.refused'
  | 'promotion.opened'
  | 'promotion.auto_merged'
  | 'release.published'
  | 'duty.requested'
  | 'command'
  | 'lock.taken'
  | 'lock.released'
  | 'break_glass.recorded'
  | 'break_glass.approved'
  | 'break_glass.overdue';

/** Every kind, in a stable order (for validation and documentation). */
export const AUDIT_KINDS: readonly AuditKind[] = [
  'gate.result',
  'approval.counted',
  'approval.refused',
  'promotion.commits',
  'deployment.created',
  'deployment.dispatched',
  'deployment.status',
  'verification.result',
  'rollback',
  'merge.bypassed',
  'merge.approved',
  'protection_rule.reviewed',
  'deploy.refused',
  'promotion.opened',
  'promotion.auto_merged',
  'release.published',
  'duty.requested',
  'command',
  'lock.taken',
  'lock.released',
  'break_glass.recorded',
  'break_glass.approved',
  'break_glass.overdue',
];

/** What the app (or the Action) asks the store to append. */
export interface AuditEventInput {
  /**
   * Idempotency key: the same key is appended once. Built from the webhook delivery id and the
   * natural key, e.g. `${deliveryId}:gate.result` or `deployment:${id}:status:${statusId}`.
   */
  key: string;
  /** `owner/name`. */
  repository: string;
  stage: string;
  pullRequest: number | null;
  baseSha: string | null;
  headSha: string | null;
  /** Login who caused it (reviewer, merger, app), when known. */
  actor: string | null;
  kind: AuditKind;
  /** ISO 8601 time the event happened (stored normalised to UTC, `toISOString()` form). */
  at: string;
  /** Kind-specific data (JSON). See {@link AuditDetailsByKind} for the shape of each kind. */
  details: Record<string, unknown>;
}

/** A stored record: the input plus its place in the repository's hash chain. */
export interface AuditRecord extends AuditEventInput {
  /** Position in the repository's chain, from 1. */
  seq: number;
  /** SHA-256 of the previous record in the chain (64 zeros for the first). */
  prevHash: string;
  /** SHA-256 over this record's content and prevHash. */
  hash: string;
  /** ISO 8601 time the store appended the record (part of the hashed content). */
  recordedAt: string;
}

/** Result of an append: `appended` is false when a record with the same key already existed. */
export interface AppendResult {
  appended: boolean;
  record: AuditRecord;
}

/**
 * Append-only audit store. There is no update or delete path. Implementations: embedded (file
 * under a data directory, default) and PostgreSQL (`DATABASE_URL`).
 */
export interface AuditStore {
  /** Appends unless a record with the same key exists; returns whether it appended. */
  append(event: AuditEventInput): Promise<AppendResult>;
  /** Records of a repository in chain order; `since`/`until` bound `at` (inclusive/exclusive). */
  records(repository: string, opts?: { since?: string; until?: string }): AsyncIterable<AuditRecord>;
  /** Repositories that have records. */
  repositories(): Promise<string[]>;
  /** The record with this idempotency key, if any. */
  findByKey(key: string): Promise<AuditRecord | null>;
  /** The head of a repository's chain (seq and hash of its newest record), null when it has none: what the app publishes as an anchor. */
  head(repository: string): Promise<{ seq: number; hash: string } | null>;
  close(): Promise<void>;
}

/** Which database serves a store. */
export type AuditDialect = 'sqlite' | 'postgres';

/**
 * A stored row as read back for verification: the content exactly as stored, before any parsing.
 * `details` is the stored JSON text; `deploymentId` is the indexed copy of `details.deploymentId`.
 */
export interface StoredAuditRow extends HashedContent {
  seq: number;
  deploymentId: string | null;
  hash: string;
}

/** Filters of {@link AuditDatabase.scan}. */
export interface ScanOptions {
  /** Only records with `seq` greater than this (keyset paging). */
  afterSeq?: number;
  /** Page size (default 500). */
  limit?: number;
  kinds?: readonly AuditKind[];
  stage?: string;
  /** Inclusive lower bound on `at` (normalised ISO string). */
  since?: string;
  /** Exclusive upper bound on `at` (normalised ISO string). */
  until?: string;
}

/**
 * The full store returned by `openAuditStore`: {@link AuditStore} plus the batch append and the
 * read paths that `verify` and `export` use. All reads are paged, so memory stays flat.
 */
export interface AuditDatabase extends AuditStore {
  readonly dialect: AuditDialect;
  /** Deployment intents (./deploy-intents.ts): the exactly-once claim of each deploy, in the same database. */
  readonly intents: DeployIntents;
  /** Where the data lives: a file path, or the database URL without its password. */
  readonly location: string;
  /** Appends several events in one transaction, in order; same semantics as `append` for each. */
  appendMany(events: readonly AuditEventInput[]): Promise<AppendResult[]>;
  /** One page of a repository's records in chain order, decoded. */
  scan(repository: string, opts?: ScanOptions): Promise<AuditRecord[]>;
  /** One page of a repository's rows in chain order, exactly as stored (for `verify`). */
  scanRaw(repository: string, afterSeq: number, limit: number): Promise<StoredAuditRow[]>;
  /** The seq of the record in `repository` whose prevHash is `prevHash` (its successor), if any. */
  seqOfSuccessor(repository: string, prevHash: string): Promise<number | null>;
  /** The records with these idempotency keys (any order; missing keys are absent). */
  findByKeys(keys: readonly string[]): Promise<AuditRecord[]>;
  /**
   * Runs read-only queries (aggregates over the roll-up tables, src/health/) on the store's database.
   * Never write through it: the chain is appended only by `append`/`appendMany`.
   */
  read<T>(fn: (db: Kysely<AuditSchema>, dialect: AuditDialect) => Promise<T>): Promise<T>;
  /** Records of `repository` whose `details.deploymentId` is one of `deploymentIds`, in chain order. */
  byDeployment(repository: string, deploymentIds: readonly string[], kinds: readonly AuditKind[]): Promise<AuditRecord[]>;
}

/** The per-kind details and evidence types live in details.ts. */
export type * from './details.js';
import type { AuditDetailsByKind } from './details.js';

/** An {@link AuditEventInput} whose details are typed by its kind. Assignable to AuditEventInput. */
export type TypedAuditEvent<K extends AuditKind = AuditKind> = K extends AuditKind ? Omit<AuditEventInput, 'kind' | 'details'> & { kind: K; details: AuditDetailsByKind[K] } : never;

/** The idempotency key of a promotion's `promotion.commits` record. */
export function promotionCommitsKey(repository: string, pullRequest: number, headSha: string): string {
  return `promotion:${repository}#${pullRequest}@${headSha}:commits`;
}

/** What `verify` found wrong with a chain. */
export type ChainProblemKind = 'edited' | 'deleted' | 'reordered';

/** The first problem in one repository's chain. */
export interface ChainProblem {
  kind: ChainProblemKind;
  /** The seq of the first record found edited, out of place, or following missing records. */
  seq: number;
  /** That record's key, when readable. */
  key: string | null;
  message: string;
}

/** `verify`'s finding for one repository. */
export interface ChainReport {
  repository: string;
  /** Records walked. */
  records: number;
  /** Seq and hash of the last record (the chain head), null when empty. */
  head: { seq: number; hash: string } | null;
  /** The first problem; null when the chain is intact. */
  problem: ChainProblem | null;
}

/** The key of the record that the app approved a protection-rule request of a deployment (GitHub's job deployment). */
export function protectionApprovalKey(repository: string, deploymentId: number): string {
  return `protection:${repository}:${deploymentId}:approved`;
}

/** The key of the `merge.approved` record: a merge commit passed its gate and may deploy to a stage. */
export function mergeApprovalKey(repository: string, stage: string, mergeSha: string): string {
  return `merge:${repository}:${stage}@${mergeSha}:approved`;
}
