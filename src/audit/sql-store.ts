import type { Kysely, Selectable } from 'kysely';
import { GENESIS_HASH, recordHash } from './hash.js';
import { applyDeliveryRollup } from './delivery-rollup.js';
import { createDeployIntents, type DeployIntents } from './deploy-intents.js';
import type { ChainLock } from './locks.js';
import { prepareEvent, toRaw, toRecord, toRow, type Prepared } from './row-mapping.js';
import type { AuditRecordsTable, AuditSchema } from './schema.js';
import type { AppendResult, AuditDatabase, AuditDialect, AuditEventInput, AuditKind, AuditRecord, ScanOptions, StoredAuditRow } from './types.js';

/** Options of {@link KyselyAuditStore}. */
export interface KyselyAuditStoreOptions {
  db: Kysely<AuditSchema>;
  dialect: AuditDialect;
  location: string;
  lock: ChainLock;
  /** Whether an error is transient (lock busy, lost race on a unique key) and the batch may be retried. */
  isRetryable: (error: unknown) => boolean;
  /** This process's turn on the database for single writes (SQLite: shared with the chain lock); default: none needed. */
  turn?: <T>(fn: () => Promise<T>) => Promise<T>;
}

const PAGE = 500;
const INSERT_CHUNK = 400;
const IN_CHUNK = 500;
const MAX_ATTEMPTS = 6;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The audit store over Kysely; the two dialects differ only in how they open and lock. */
export class KyselyAuditStore implements AuditDatabase {
  readonly dialect: AuditDialect;
  readonly location: string;
  readonly intents: DeployIntents;
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
    const turn = opts.turn ?? (<T>(fn: () => Promise<T>) => fn());
    this.intents = createDeployIntents({
      db: this.#db,
      turn: (fn) => {
        this.#assertOpen();
        return turn(fn);
      },
    });
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
    // Derived tables move with the chain: in the same transaction, so they never disagree with it.
    await applyDeliveryRollup(
      trx,
      results.filter((r) => r.appended).map((r) => r.record),
    );
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

  async head(repository: string): Promise<{ seq: number; hash: string } | null> {
    this.#assertOpen();
    const row = await this.#db.selectFrom('audit_records').select(['seq', 'hash']).where('repository', '=', repository).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return row ? { seq: Number(row.seq), hash: row.hash } : null;
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

  async read<T>(fn: (db: Kysely<AuditSchema>, dialect: AuditDialect) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return fn(this.#db, this.dialect);
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
