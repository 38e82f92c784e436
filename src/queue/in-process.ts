import { randomUUID } from 'node:crypto';
import type { ServiceDb, ServiceState } from '../service/open.js';
import { backoffMs, DEFAULT_RETRY, type DeliveryRecord, type JobQueue, type Outgoing, type QueuedJob, type QueueName, type QueueStats, type RetryPolicy } from './types.js';

/** Runs `task` at `at`; returns how to cancel it. */
export type Scheduler = (at: Date, task: () => void) => { cancel(): void };

/** Options of {@link InProcessQueue}. */
export interface InProcessQueueOptions {
  /** Jobs running at once (different keys). Default 4. */
  concurrency?: number;
  retry?: RetryPolicy;
  /** The clock (tests pass theirs). */
  now?: () => Date;
  /** Wakes the queue for a delayed job (default: an unref'd timer). */
  schedule?: Scheduler;
  /** Told when a job gives up after its last retry. */
  onFailed?: (job: QueuedJob<unknown>, error: unknown) => void;
}

interface Entry<T> {
  id: string;
  queue: QueueName;
  key: string | null;
  data: T;
  runAt: number;
  attempts: number;
  /** A delayed job whose time came by its timer (the clock may be a test's). */
  woken: boolean;
  timer: { cancel(): void } | null;
  /** Running now. */
  active: boolean;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const defaultSchedule: Scheduler = (at, task) => {
  const t = setTimeout(task, Math.min(MAX_TIMER_MS, Math.max(0, at.getTime() - Date.now())));
  t.unref();
  return { cancel: () => clearTimeout(t) };
};

/**
 * The job queue of one app process on the embedded store: jobs are rows of
 * `stagegate_queue_jobs` (written with their delivery in one transaction, deleted when done), held
 * in memory to run, and read back at start, so delayed and unfinished jobs survive a restart.
 * Semantics as {@link JobQueue}: `gate` jobs are serialised and coalesced per key, a `timer` job
 * replaces the waiting timer of its key.
 */
export class InProcessQueue<T> implements JobQueue<T> {
  readonly kind = 'in-process' as const;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #runningKeys = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #idleWaiters: (() => void)[] = [];
  readonly #concurrency: number;
  readonly #retry: RetryPolicy;
  readonly #now: () => Date;
  readonly #schedule: Scheduler;
  #handler: ((job: QueuedJob<T>) => Promise<void>) | null = null;
  #stopped = false;
  #starting: Promise<void> | null = null;
  #failed = 0;

  constructor(
    private readonly state: ServiceState,
    private readonly options: InProcessQueueOptions = {},
  ) {
    this.#concurrency = options.concurrency ?? 4;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#now = options.now ?? (() => new Date());
    this.#schedule = options.schedule ?? defaultSchedule;
  }

  async accept(delivery: DeliveryRecord, jobs: Outgoing<T>[]): Promise<'accepted' | 'duplicate'> {
    const added: Entry<T>[] = [];
    const outcome = await this.state.transaction(async (tx) => {
      const res = await tx
        .insertInto('stagegate_deliveries')
        .values({ id: delivery.id, event: delivery.event, received_at: this.#now().toISOString() })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 0) return 'duplicate' as const;
      for (const job of jobs) {
        const entry = await this.#store(tx, job);
        if (entry) added.push(entry);
      }
      return 'accepted' as const;
    });
    for (const e of added) this.#add(e);
    this.#pump();
    return outcome;
  }

  async send(job: Outgoing<T>): Promise<boolean> {
    const entry = await this.state.transaction((tx) => this.#store(tx, job));
    if (entry) this.#add(entry);
    this.#pump();
    return entry !== null;
  }

  /** Writes a job row unless it coalesces into a waiting one; a timer replaces its key's waiting timer. */
  async #store(tx: ServiceDb, job: Outgoing<T>): Promise<Entry<T> | null> {
    const key = job.options?.key ?? null;
    const runAt = (job.options?.startAfter ?? this.#now()).getTime();
    if (key !== null && job.queue === 'gate' && this.#waiting('gate', key)) return null;
    if (key !== null && job.queue === 'timer') {
      const old = this.#waiting('timer', key);
      if (old) {
        await tx.deleteFrom('stagegate_queue_jobs').where('id', '=', old.id).execute();
        this.#remove(old);
      }
    }
    const entry: Entry<T> = { id: randomUUID(), queue: job.queue, key, data: job.data, runAt, attempts: 0, woken: false, timer: null, active: false };
    await tx
      .insertInto('stagegate_queue_jobs')
      .values({ id: entry.id, queue: entry.queue, key, data: JSON.stringify(job.data), run_at: new Date(runAt).toISOString(), attempts: 0, created_at: this.#now().toISOString() })
      .execute();
    return entry;
  }

  #waiting(queue: QueueName, key: string): Entry<T> | undefined {
    for (const e of this.#entries.values()) if (e.queue === queue && e.key === key && !this.#isRunning(e)) return e;
    return undefined;
  }

  #isRunning(e: Entry<T>): boolean {
    return e.active;
  }

  #add(e: Entry<T>): void {
    this.#entries.set(e.id, e);
  }

  #remove(e: Entry<T>): void {
    e.timer?.cancel();
    e.timer = null;
    this.#entries.delete(e.id);
  }

  start(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    this.#starting = this.#start(handler);
    return this.#starting;
  }

  async #start(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void> {
    this.#handler = handler;
    // Jobs a previous process left (unfinished or delayed) run again.
    const rows = await this.state.read((db) => db.selectFrom('stagegate_queue_jobs').selectAll().orderBy('created_at').execute());
    for (const r of rows) {
      if (this.#entries.has(r.id)) continue;
      this.#add({ id: r.id, queue: r.queue as QueueName, key: r.key, data: JSON.parse(r.data) as T, runAt: Date.parse(r.run_at), attempts: r.attempts, woken: false, timer: null, active: false });
    }
    this.#pump();
  }

  #due(e: Entry<T>, now: number): boolean {
    return e.woken || e.runAt <= now;
  }

  #pump(): void {
    if (!this.#handler || this.#stopped) return this.#checkIdle();
    const now = this.#now().getTime();
    for (const e of [...this.#entries.values()].sort((a, b) => a.runAt - b.runAt)) {
      if (this.#running.size >= this.#concurrency) break;
      if (this.#isRunning(e)) continue;
      if (!this.#due(e, now)) {
        if (!e.timer)
          e.timer = this.#schedule(new Date(e.runAt), () => {
            e.timer = null;
            e.woken = true;
            this.#pump();
          });
        continue;
      }
      if (e.key !== null && e.queue === 'gate' && this.#runningKeys.has(e.key)) continue;
      this.#run(e);
    }
    this.#checkIdle();
  }

  #run(e: Entry<T>): void {
    e.active = true;
    e.timer?.cancel();
    e.timer = null;
    if (e.key !== null && e.queue === 'gate') this.#runningKeys.add(e.key);
    const handler = this.#handler!;
    const p = (async () => {
      try {
        await handler({ id: e.id, queue: e.queue, data: e.data, attempt: e.attempts });
        await this.state.transaction((tx) => tx.deleteFrom('stagegate_queue_jobs').where('id', '=', e.id).execute());
        this.#entries.delete(e.id);
      } catch (error) {
        await this.#retryOrGiveUp(e, error);
      }
    })().finally(() => {
      if (e.key !== null && e.queue === 'gate') this.#runningKeys.delete(e.key);
      this.#running.delete(p);
      this.#pump();
    });
    this.#running.add(p);
  }

  async #retryOrGiveUp(e: Entry<T>, error: unknown): Promise<void> {
    e.active = false;
    e.woken = false;
    if (e.attempts >= this.#retry.limit) {
      this.#failed++;
      this.#entries.delete(e.id);
      await this.state.transaction((tx) => tx.deleteFrom('stagegate_queue_jobs').where('id', '=', e.id).execute()).catch(() => undefined);
      this.options.onFailed?.({ id: e.id, queue: e.queue, data: e.data, attempt: e.attempts }, error);
      return;
    }
    const delay = backoffMs(this.#retry, e.attempts, error);
    e.attempts++;
    e.runAt = this.#now().getTime() + delay;
    await this.state
      .transaction((tx) =>
        tx
          .updateTable('stagegate_queue_jobs')
          .set({ attempts: e.attempts, run_at: new Date(e.runAt).toISOString() })
          .where('id', '=', e.id)
          .execute(),
      )
      .catch(() => undefined);
  }

  async stats(): Promise<QueueStats> {
    let queued = 0;
    for (const e of this.#entries.values()) if (!this.#isRunning(e)) queued++;
    return { queued, running: this.#running.size, failed: this.#failed };
  }

  ping(): Promise<void> {
    return this.state.ping();
  }

  #busy(): boolean {
    if (this.#running.size > 0) return true;
    if (!this.#handler || this.#stopped) return false;
    const now = this.#now().getTime();
    for (const e of this.#entries.values()) if (this.#due(e, now)) return true;
    return false;
  }

  #checkIdle(): void {
    if (this.#busy()) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  async idle(): Promise<void> {
    await this.#starting?.catch(() => undefined);
    if (!this.#busy()) return;
    return new Promise((r) => this.#idleWaiters.push(r));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const e of this.#entries.values()) {
      e.timer?.cancel();
      e.timer = null;
    }
    await Promise.allSettled([...this.#running]);
    this.#checkIdle();
  }
}
