/** The app's queues: per-pull-request evaluations (coalesced), timed re-evaluations, and everything else. */
export type QueueName = 'gate' | 'timer' | 'work';

/** Options of one job. */
export interface SendOptions {
  /**
   * `gate`: serialise and coalesce by this key (one pull request) across every process on the
   * database — at most one running and one waiting job per key; a job sent while one waits is
   * dropped (the waiting one reads GitHub's state when it runs). `timer`: one waiting timer per key.
   */
  key?: string;
  /** Not before this time: a delayed job, stored, so it survives restarts and fires once. */
  startAfter?: Date;
}

/** A job handed to the handler. */
export interface QueuedJob<T> {
  id: string;
  queue: QueueName;
  data: T;
  /** 0 on the first run. */
  attempt: number;
}

/** Thrown by a handler so the job runs again after `delayMs` (GitHub's `retry-after`, a secondary limit). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** How failed jobs are retried: `baseMs · 2^attempt` (capped), at most `limit` times. */
export interface RetryPolicy {
  limit: number;
  baseMs: number;
  maxMs: number;
}

/** The default: 8 retries, 1 s doubling to at most 5 min. */
export const DEFAULT_RETRY: RetryPolicy = { limit: 8, baseMs: 1000, maxMs: 5 * 60 * 1000 };

/** The delay before retry number `attempt + 1`. */
export function backoffMs(policy: RetryPolicy, attempt: number, error: unknown): number {
  if (error instanceof RetryLater) return Math.max(0, error.delayMs);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
}

/** What the queue holds now (this process's view). */
export interface QueueStats {
  queued: number;
  running: number;
  /** Jobs that gave up after their last retry, since this process started. */
  failed: number;
}

/** A delivery to record once, by `X-GitHub-Delivery`. */
export interface DeliveryRecord {
  id: string;
  event: string;
}

/** One job to send. */
export interface Outgoing<T> {
  queue: QueueName;
  data: T;
  options?: SendOptions;
}

/**
 * The job queue: pg-boss on PostgreSQL (several app processes), or in-process over the embedded
 * store (one app process). Same behaviour: durable jobs, per-key serialisation and coalescing,
 * delayed jobs, retries with backoff.
 */
export interface JobQueue<T> {
  readonly kind: 'in-process' | 'pg-boss';
  /**
   * Records the delivery and sends its jobs in one transaction. `duplicate` (and nothing sent)
   * when the delivery id was recorded before.
   */
  accept(delivery: DeliveryRecord, jobs: Outgoing<T>[]): Promise<'accepted' | 'duplicate'>;
  /** Sends one job; false when it was coalesced into a waiting one. */
  send(job: Outgoing<T>): Promise<boolean>;
  /** Starts running jobs with `handler` (a throw retries with backoff). */
  start(handler: (job: QueuedJob<T>) => Promise<void>): Promise<void>;
  stats(): Promise<QueueStats>;
  /** Whether the queue's store answers. */
  ping(): Promise<void>;
  /** Resolves when no job is due or running in this process (delayed jobs may wait). */
  idle(): Promise<void>;
  /** Stops taking jobs and waits for the running ones. */
  stop(): Promise<void>;
}
