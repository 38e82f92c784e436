/**
 * A workflow's `concurrency:` as GitHub applies it (docs.github.com, "Control the concurrency of workflows and
 * jobs"): per group of a repository — names are case-insensitive — at most one running and one pending run. A new run waits while
 * another of its group runs; a pending run it finds is cancelled and it takes its place; with
 * `cancel-in-progress: true` the running one is cancelled too.
 */
import { HttpError } from '../routes/route.js';
import type { WorkflowDoc } from './dispatch.js';
import type { WorkflowRun } from './types.js';

/** A run's concurrency group and whether it cancels the one in progress. */
export interface ConcurrencySpec {
  group: string;
  cancelInProgress: boolean;
}

/** The workflow-level `concurrency` with its expressions evaluated by `expr` (null when the workflow has none). */
export function concurrencyOf(doc: WorkflowDoc, expr: (s: string) => string): ConcurrencySpec | null {
  const c = doc.concurrency;
  if (c === undefined || c === null) return null;
  const invalid = (why: string): never => {
    throw new HttpError(422, `Invalid workflow file: concurrency ${why}`);
  };
  const evaluate = (s: string): string => {
    try {
      return expr(s);
    } catch (err) {
      return invalid(`: ${(err as Error).message}`);
    }
  };
  if (typeof c === 'string') return { group: evaluate(c), cancelInProgress: false };
  if (typeof c !== 'object' || Array.isArray(c) || typeof c.group !== 'string') return invalid('must be a group name or { group, cancel-in-progress }');
  const raw = c['cancel-in-progress'];
  const v = typeof raw === 'string' ? evaluate(raw).trim() : raw;
  if (v !== undefined && v !== true && v !== false && v !== 'true' && v !== 'false') return invalid('cancel-in-progress must be true or false');
  return { group: evaluate(c.group), cancelInProgress: v === true || v === 'true' };
}

/** The runs of each concurrency group: the one running and the one pending. */
export class ConcurrencyGroups {
  private readonly groups = new Map<string, { running: WorkflowRun | null; pending: { run: WorkflowRun; start: () => void } | null }>();

  constructor(private readonly cancel: (run: WorkflowRun) => void) {}

  /** Starts `run` now, or leaves it `pending` in its group (cancelling what GitHub cancels). */
  admit(run: WorkflowRun, spec: ConcurrencySpec | null, start: () => void): void {
    if (!spec) return start();
    const key = `${run.repo}\n${spec.group}`.toLowerCase(); // groups are per repository
    const slot = this.groups.get(key) ?? { running: null, pending: null };
    this.groups.set(key, slot);
    if (slot.pending) {
      this.cancel(slot.pending.run);
      slot.pending = null;
    }
    if (slot.running && spec.cancelInProgress) this.cancel(slot.running);
    if (slot.running) {
      run.status = 'pending';
      slot.pending = { run, start };
      return;
    }
    slot.running = run;
    start();
  }

  /** Forgets `run` if it is some group's pending run (it was cancelled and must never start). */
  drop(run: WorkflowRun): void {
    for (const slot of this.groups.values()) if (slot.pending?.run === run) slot.pending = null;
  }

  /** Frees `run`'s group; its pending run, if any, starts. */
  finished(run: WorkflowRun): void {
    for (const slot of this.groups.values()) {
      if (slot.running !== run) continue;
      slot.running = null;
      const next = slot.pending;
      slot.pending = null;
      if (next) {
        slot.running = next.run;
        next.start();
      }
    }
  }
}
