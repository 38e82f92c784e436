import type { Selectable } from 'kysely';
import { canonicalJson, deploymentIdOf } from './hash.js';
import type { AuditRecordsTable } from './schema.js';
import { AUDIT_KINDS, type AuditEventInput, type AuditKind, type AuditRecord, type StoredAuditRow } from './types.js';

const REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** A validated, normalised event with its canonical details text, ready to be chained. */
export type Prepared = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'recordedAt'> & { detailsText: string };

/** Validates and normalises one event (throws a clear error naming the field). */
export function prepareEvent(event: AuditEventInput): Prepared {
  const where = `audit event ${JSON.stringify(event?.key ?? '?')}`;
  const fail = (msg: string): never => {
    throw new TypeError(`${where}: ${msg}`);
  };
  if (typeof event !== 'object' || event === null) fail('is not an object');
  if (typeof event.key !== 'string' || event.key.trim() === '') fail('key must be a non-empty string');
  if (event.key.length > 2000) fail('key is longer than 2000 characters');
  if (typeof event.repository !== 'string' || !REPOSITORY_PATTERN.test(event.repository)) {
    fail(`repository must be "owner/name", got ${JSON.stringify(event.repository)}`);
  }
  if (typeof event.stage !== 'string' || event.stage === '') fail('stage must be a non-empty string');
  if (!(AUDIT_KINDS as readonly string[]).includes(event.kind)) fail(`unknown kind ${JSON.stringify(event.kind)}`);
  if (event.pullRequest !== null && !(Number.isInteger(event.pullRequest) && event.pullRequest > 0)) {
    fail('pullRequest must be a positive integer or null');
  }
  for (const f of ['baseSha', 'headSha', 'actor'] as const) {
    if (event[f] !== null && typeof event[f] !== 'string') fail(`${f} must be a string or null`);
  }
  const at = typeof event.at === 'string' ? new Date(event.at) : new Date(NaN);
  if (Number.isNaN(at.getTime())) fail(`at must be an ISO 8601 time, got ${JSON.stringify(event.at)}`);
  if (typeof event.details !== 'object' || event.details === null || Array.isArray(event.details)) {
    fail('details must be an object');
  }
  const detailsText = canonicalJson(event.details);
  return {
    key: event.key,
    repository: event.repository,
    stage: event.stage,
    pullRequest: event.pullRequest,
    baseSha: event.baseSha,
    headSha: event.headSha,
    actor: event.actor,
    kind: event.kind,
    at: at.toISOString(),
    details: JSON.parse(detailsText) as Record<string, unknown>,
    detailsText,
  };
}

/** The table row of a chained record (details as the canonical text that was hashed). */
export function toRow(r: AuditRecord, detailsText: string): AuditRecordsTable {
  return {
    repository: r.repository,
    seq: r.seq,
    key: r.key,
    stage: r.stage,
    pull_request: r.pullRequest,
    base_sha: r.baseSha,
    head_sha: r.headSha,
    actor: r.actor,
    kind: r.kind,
    at: r.at,
    recorded_at: r.recordedAt,
    details: detailsText,
    deployment_id: deploymentIdOf(r.details),
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

/** A row exactly as stored, before any parsing (what verify hashes). */
export function toRaw(row: Selectable<AuditRecordsTable>): StoredAuditRow {
  return {
    repository: row.repository,
    seq: Number(row.seq),
    key: row.key,
    stage: row.stage,
    pullRequest: row.pull_request === null ? null : Number(row.pull_request),
    baseSha: row.base_sha,
    headSha: row.head_sha,
    actor: row.actor,
    kind: row.kind,
    at: row.at,
    recordedAt: row.recorded_at,
    details: row.details,
    deploymentId: row.deployment_id,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** A row decoded into a record; unreadable details name the record. */
export function toRecord(row: Selectable<AuditRecordsTable>): AuditRecord {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    throw new Error(`audit record ${row.repository} seq ${row.seq} has unreadable details; run \`stagegate audit verify\``);
  }
  return {
    key: row.key,
    repository: row.repository,
    stage: row.stage,
    pullRequest: row.pull_request === null ? null : Number(row.pull_request),
    baseSha: row.base_sha,
    headSha: row.head_sha,
    actor: row.actor,
    kind: row.kind as AuditKind,
    at: row.at,
    details,
    seq: Number(row.seq),
    prevHash: row.prev_hash,
    hash: row.hash,
    recordedAt: row.recorded_at,
  };
}
