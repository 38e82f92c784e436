import { durationMs, formatDuration } from '../config/duration.js';
import type { LocksConfig } from '../config/schema.js';
import type { StageLock } from './types.js';

/** Whether a lock holds at `now` (an expired lock has released itself, whether or not that was recorded yet). */
export function isActive(lock: Pick<StageLock, 'expiresAt'>, now: Date): boolean {
  return lock.expiresAt === null || Date.parse(lock.expiresAt) > now.getTime();
}

/** How long a new lock lasts: `--for`, else `locks.default_duration`, else until unlocked; refused past `locks.max_duration`. */
export function lockExpiry(forMs: number | null, config: LocksConfig, now: Date): { ok: true; expiresAt: string | null } | { ok: false; reason: string } {
  const max = config.max_duration ? durationMs(config.max_duration) : null;
  const wanted = forMs ?? (config.default_duration ? durationMs(config.default_duration) : null);
  if (max !== null && wanted === null) return { ok: false, reason: `locks may last at most ${config.max_duration} here (locks.max_duration): add --for, e.g. --for ${config.max_duration}` };
  if (max !== null && wanted !== null && wanted > max)
    return { ok: false, reason: `--for ${formatDuration(wanted)} is longer than the ${config.max_duration} a lock may last here (locks.max_duration)` };
  return { ok: true, expiresAt: wanted === null ? null : new Date(now.getTime() + wanted).toISOString() };
}

/** `@anna: board demo, until 2026-12-01T15:00:00Z` — who, why and until when, for the gate and replies. */
export function describeLock(lock: StageLock): string {
  const until = lock.expiresAt ? `until ${lock.expiresAt}` : 'until unlocked';
  return `locked by @${lock.holder}${lock.reason ? ` (“${lock.reason}”)` : ''} since ${lock.lockedAt}, ${until}`;
}
