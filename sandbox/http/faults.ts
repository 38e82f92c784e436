/**
 * Faults GitHub produces and a client must survive, injected per operation: an answer replaced
 * `before` the operation runs (nothing changes: a 403 secondary rate limit, a 503) or `after` it ran
 * (the change happened but the caller is told otherwise: a 502 from GitHub's front end after the
 * dispatch started a run, a gateway timeout). Each fault answers `times` requests (default 1), then
 * is gone. The answer skips the response contract: it is the fault, not the operation, answering.
 */

/** One injected fault. */
export interface FaultSpec {
  /** The operation it answers (`actions/create-workflow-dispatch`). */
  operationId: string;
  /** `before`: the operation does not run; `after`: it runs, and its answer is replaced. */
  when: 'before' | 'after';
  status: number;
  /** Default: GitHub's body for the status (`{"message": "Server Error"}` and so on). */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** How many requests it answers (default 1). */
  times?: number;
}

/** A fault that answered a request. */
export interface FaultHit {
  operationId: string;
  when: 'before' | 'after';
  status: number;
  at: string;
}

const MESSAGES: Record<number, string> = {
  403: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
  504: 'We couldn\u2019t respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists.',
};

/** The faults of one sandbox (`sb.faults`). */
export class Faults {
  private readonly pending: (FaultSpec & { left: number })[] = [];
  /** Every request a fault answered, in order. */
  readonly hits: FaultHit[] = [];

  /** Adds a fault; it answers the next `times` matching requests. */
  add(spec: FaultSpec): void {
    this.pending.push({ ...spec, left: spec.times ?? 1 });
  }

  /** The answer of the first pending fault for this operation and moment, if any (and counts it). */
  take(operationId: string, when: 'before' | 'after'): { status: number; body: Record<string, unknown>; headers: Record<string, string> } | null {
    const i = this.pending.findIndex((f) => f.operationId === operationId && f.when === when);
    if (i < 0) return null;
    const f = this.pending[i]!;
    if (--f.left <= 0) this.pending.splice(i, 1);
    this.hits.push({ operationId, when, status: f.status, at: new Date().toISOString() });
    return {
      status: f.status,
      body: f.body ?? { message: MESSAGES[f.status] ?? 'Error', documentation_url: 'https://docs.github.com/rest' },
      headers: { ...(f.status === 403 ? { 'retry-after': '1' } : {}), ...f.headers },
    };
  }
}
