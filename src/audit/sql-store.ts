import { sql, type Kysely, type Selectable } from 'kysely';
import { canonicalJson, deploymentIdOf, GENESIS_HASH, recordHash } from './hash.js';
import type { AuditRecordsTable, AuditSchema } from './schema.js';
import { AUDIT_KINDS, type AppendResult, type AuditDatabase, type AuditDialect, type AuditEventInput, type AuditKind, type AuditRecord, type ScanOptions, type StoredAuditRow } from './types.js';

/**
 * Runs `fn` in one write transaction during which no other writer (thread or process) can append
 * to the chains of `repositories`.
 */
export type ChainLock = <T>(db: Kysely<AuditSchema>, repositories: readonly string[], fn: (trx: Kysely<AuditSchema>) => Promise<T>) => Promise<T>;

/** Options of {@link KyselyAuditStore}. */
export interface KyselyAuditStoreOptions {
  db: Kysely<AuditSchema>;
  dialect: AuditDialect;
  location: string;
  lock: ChainLock;
  /** Whether an error is transient (lock busy, lost race on a unique key) and the batch may be retried. */
  isRetryable: (error: unknown) => boolean;
}

const REPOSITORY_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PAGE = 500;
const INSERT_CHUNK = 400;
const IN_CHUNK = 500;
const MAX_ATTEMPTS = 6;

type Prepared = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'recordedAt'> & { detailsText: string };

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

function toRow(r: AuditRecord, detailsText: string): AuditRecordsTable {
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

function toRaw(row: Selectable<AuditRecordsTable>): StoredAuditRow {
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

function toRecord(row: Selectable<AuditRecordsTable>): AuditRecord {
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

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The audit store over Kysely; the two dialects differ only in how they open and lock. */
export class KyselyAuditStore implements AuditDatabase {
  readonly dialect: AuditDialect;
  readonly location: string;
  readonly #db: Kysely<AuditSchema>;
  readonly #lock: ChainLock;
  readonly #isRetryable: (error: unknown) => boolean;
  #closed = false;

  constructor(opts: KyselyAuditStoreOptions) {
    this.#db = opts.db;
    this.dialect = opts.dialect;
    this.location = opts.location;
    this.#lock = opts.lock;
    this.#isRetryable = opts.isRetryable;
  }

  async append(event: AuditEventInput): Promise<AppendResult> {
    const [result] = await this.appendMany([event]);
    if (!result) throw new Error('audit append returned no result');
    return result;
  }

  async appendMany(events: readonly AuditEventInput[]): Promise<AppendResult[]> {
    this.#assertOpen();
    if (events.length === 0) return [];
    const prepared = events.map(prepareEvent);
    const repositories = [...new Set(prepared.map((p) => p.repository))].sort();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#lock(this.#db, repositories, (trx) => this.#appendLocked(trx, prepared, repositories));
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !this.#isRetryable(error)) throw error;
        await new Promise((r) => setTimeout(r, 5 * attempt + Math.floor(Math.random() * 10)));
      }
    }
  }

  async #appendLocked(trx: Kysely<AuditSchema>, prepared: readonly Prepared[], repositories: readonly string[]): Promise<AppendResult[]> {
    const known = new Map<string, AuditRecord>();
    for (const keys of chunks([...new Set(prepared.map((p) => p.key))], IN_CHUNK)) {
      const rows = await trx.selectFrom('audit_records').selectAll().where('key', 'in', keys).execute();
      for (const row of rows) known.set(row.key, toRecord(row));
    }
    const heads = new Map<string, { seq: number; hash: string }>();
    for (const repository of repositories) {
      const head = await trx.selectFrom('audit_records').select(['seq', 'hash']).where('repository', '=', repository).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      heads.set(repository, head ? { seq: Number(head.seq), hash: head.hash } : { seq: 0, hash: GENESIS_HASH });
    }
    const recordedAt = new Date().toISOString();
    const results: AppendResult[] = [];
    const rows: AuditRecordsTable[] = [];
    for (const p of prepared) {
      const existing = known.get(p.key);
      if (existing) {
        results.push({ appended: false, record: existing });
        continue;
      }
      const head = heads.get(p.repository) ?? { seq: 0, hash: GENESIS_HASH };
      const { detailsText, ...content } = p;
      const hash = recordHash({ ...content, details: detailsText, recordedAt, prevHash: head.hash });
      const record: AuditRecord = { ...content, seq: head.seq + 1, prevHash: head.hash, hash, recordedAt };
      heads.set(p.repository, { seq: record.seq, hash });
      known.set(p.key, record);
      rows.push(toRow(record, detailsText));
      results.push({ appended: true, record });
    }
    for (const chunk of chunks(rows, INSERT_CHUNK)) {
      await trx.insertInto('audit_records').values(chunk).execute();
    }
    return results;
  }

  async *records(repository: string, opts: { since?: string; until?: string } = {}): AsyncIterable<AuditRecord> {
    let afterSeq = 0;
    for (;;) {
      const page = await this.scan(repository, { ...opts, afterSeq, limit: PAGE });
      yield* page;
      const last = page[page.length - 1];
      if (!last || page.length < PAGE) return;
      afterSeq = last.seq;
    }
  }

  async scan(repository: string, opts: ScanOptions = {}): Promise<AuditRecord[]> {
    this.#assertOpen();
    const limit = opts.limit ?? PAGE;
    const kinds = opts.kinds ? [...new Set(opts.kinds)] : undefined;
    if (kinds && kinds.length === 0) return [];
    // One query per kind walks the (repository, kind, seq) index in order whatever the planner
    // thinks; the pages are merged by seq.
    const perKind = kinds ? kinds.map((k) => this.#scanQuery(repository, opts, limit, k)) : [this.#scanQuery(repository, opts, limit)];
    const rows = (await Promise.all(perKind)).flat();
    if (perKind.length > 1) rows.sort((a, b) => Number(a.seq) - Number(b.seq));
    return rows.slice(0, limit).map(toRecord);
  }

  #scanQuery(repository: string, opts: ScanOptions, limit: number, kind?: AuditKind): Promise<Selectable<AuditRecordsTable>[]> {
    let q = this.#db.selectFrom('audit_records').selectAll().where('repository', '=', repository);
    if (kind !== undefined) q = q.where('kind', '=', kind);
    q = q.where('seq', '>', opts.afterSeq ?? 0);
    if (opts.stage !== undefined) q = q.where('stage', '=', opts.stage);
    if (opts.since !== undefined) q = q.where('at', '>=', opts.since);
    if (opts.until !== undefined) q = q.where('at', '<', opts.until);
    return q.orderBy('seq').limit(limit).execute();
  }

  async scanRaw(repository: string, afterSeq: number, limit: number): Promise<StoredAuditRow[]> {
    this.#assertOpen();
    const rows = await this.#db.selectFrom('audit_records').selectAll().where('repository', '=', repository).where('seq', '>', afterSeq).orderBy('seq').limit(limit).execute();
    return rows.map(toRaw);
  }

  async seqOfSuccessor(repository: string, prevHash: string): Promise<number | null> {
    this.#assertOpen();
    const row = await this.#db.selectFrom('audit_records').select('seq').where('repository', '=', repository).where('prev_hash', '=', prevHash).executeTakeFirst();
    return row ? Number(row.seq) : null;
  }

  async findByKey(key: string): Promise<AuditRecord | null> {
    this.#assertOpen();
    const row = await this.#db.selectFrom('audit_records').selectAll().where('key', '=', key).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async findByKeys(keys: readonly string[]): Promise<AuditRecord[]> {
    this.#assertOpen();
    const out: AuditRecord[] = [];
    for (const chunk of chunks([...new Set(keys)], IN_CHUNK)) {
      const rows = await this.#db.selectFrom('audit_records').selectAll().where('key', 'in', chunk).execute();
      out.push(...rows.map(toRecord));
    }
    return out;
  }

  async byDeployment(repository: string, deploymentIds: readonly string[], kinds: readonly AuditKind[]): Promise<AuditRecord[]> {
    this.#assertOpen();
    const out: AuditRecord[] = [];
    if (kinds.length === 0) return out;
    // SQLite's planner (no statistics) scans the whole chain for a long IN list on deployment_id;
    // one id per query always uses the (repository, deployment_id, seq) index.
    const perQuery = this.dialect === 'sqlite' ? 1 : IN_CHUNK;
    for (const ids of chunks([...new Set(deploymentIds)], perQuery)) {
      const rows = await this.#db
        .selectFrom('audit_records')
        .selectAll()
        .where('repository', '=', repository)
        .where('deployment_id', 'in', ids)
        .where('kind', 'in', [...kinds])
        .orderBy('seq')
        .execute();
      out.push(...rows.map(toRecord));
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  async repositories(): Promise<string[]> {
    this.#assertOpen();
    const rows = await this.#db.selectFrom('audit_records').select('repository').distinct().execute();
    return rows.map((r) => r.repository).sort();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`audit store ${this.location} is closed`);
  }
}

const fileMutexes = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` after every earlier call for the same `name` in this process has settled. Two stores
 * opened on one SQLite file in one process must not wait on each other's write lock
 * synchronously (better-sqlite3 blocks the thread while busy), so they take turns here first.
 */
export function withProcessMutex<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const previous = fileMutexes.get(name) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  fileMutexes.set(name, settled);
  void settled.then(() => {
    if (fileMutexes.get(name) === settled) fileMutexes.delete(name);
  });
  return run;
}

/**
 * SQLite lock for the database file `file`: in-process turn-taking, then BEGIN IMMEDIATE, which
 * takes the database write lock up front (other processes wait up to busy_timeout).
 */
export function sqliteChainLock(file: string): ChainLock {
  return (db, _repositories, fn) =>
    withProcessMutex(`sqlite:${file}`, () =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => undefined);
          throw error;
        }
      }),
    );
}

/** PostgreSQL lock: one transaction holding a transaction-scoped advisory lock per chain. */
export const postgresChainLock: ChainLock = (db, repositories, fn) =>
  db.transaction().execute(async (trx) => {
    for (const repository of [...repositories].sort()) {
      await sql`select pg_advisory_xact_lock(hashtextextended(${'stagegate-audit:' + repository}, 0))`.execute(trx);
    }
    return fn(trx);
  });
