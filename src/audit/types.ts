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
  | 'override';

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
  /** ISO 8601 time the event happened. */
  at: string;
  /** Kind-specific data (JSON). */
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
}

/**
 * Append-only audit store. There is no update or delete path. Implementations: embedded (file
 * under a data directory, default) and PostgreSQL (`DATABASE_URL`).
 */
export interface AuditStore {
  /** Appends unless a record with the same key exists; returns whether it appended. */
  append(event: AuditEventInput): Promise<{ appended: boolean; record: AuditRecord }>;
  /** Records of a repository in chain order. */
  records(repository: string, opts?: { since?: string; until?: string }): AsyncIterable<AuditRecord>;
  /** Repositories that have records. */
  repositories(): Promise<string[]>;
  close(): Promise<void>;
}
