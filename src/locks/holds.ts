import { breakGlassFor } from '../break-glass/store.js';
import type { BreakGlass } from '../break-glass/types.js';
import type { StageHolds } from '../gate/types.js';
import { isActive } from './model.js';
import type { ChatopsState } from './open.js';
import { activeLock } from './store.js';
import type { StageLock } from './types.js';

/**
 * Holds kept in memory: the given locks (expired ones ignored at `now()`) and break-glasses. For
 * tests and fakes, and for callers that know for certain there are none (`memoryHolds()`).
 */
export function memoryHolds(opts: { locks?: StageLock[]; breakGlass?: BreakGlass[]; now?: () => Date } = {}): StageHolds {
  const now = opts.now ?? (() => new Date());
  return {
    lock: async (stage) => opts.locks?.find((l) => l.stage === stage && isActive(l, now())) ?? null,
    breakGlass: async (stage, pullRequest, headSha) => opts.breakGlass?.find((b) => b.stage === stage && b.pullRequest === pullRequest && b.headSha === headSha) ?? null,
  };
}

/**
 * The holds of one repository read from the app's ChatOps state, fresh at every call (locks are
 * judged at `now()`): what the gate and the merge consult. A read that fails throws, and the lock
 * rule is then blocked.
 */
export function stateHolds(state: ChatopsState, repository: string, now: () => Date): StageHolds {
  return {
    lock: (stage) => state.read((db) => activeLock(db, repository, stage, now())),
    breakGlass: (stage, pullRequest, headSha) => state.read((db) => breakGlassFor(db, repository, stage, pullRequest, headSha)),
  };
}
