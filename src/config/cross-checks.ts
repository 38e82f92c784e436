import { DateTime, IANAZone } from 'luxon';
import { parseDuration } from './duration.js';
import { DATE, HOURS } from './formats.js';
import { suggestValue } from './suggest.js';

/** A problem that involves more than one key, found on the raw (not yet validated) document. */
export interface CrossProblem {
  path: (string | number)[];
  message: string;
  suggestion?: string;
}

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Checks that relate keys to each other: duplicate stages, `verified_in` and risk `stages` naming no
 * stage, cycles among stages, reversed freezes, empty windows, contradictory thresholds. They run on
 * the raw document, tolerating any malformed part (the schema reports that), so they are reported
 * together with every other problem instead of only after all of those are fixed. New cross-field
 * rules belong here, not in a zod `superRefine` (which only runs once everything else is valid).
 */
export function crossChecks(doc: unknown): CrossProblem[] {
  if (!isObj(doc)) return [];
  const out: CrossProblem[] = [];
  const stages = list(doc.stages);
  const names = stages.map((s) => (isObj(s) ? text(s.name) : undefined));
  const known = names.filter((n): n is string => n !== undefined);
  const nameProblem = (path: (string | number)[], value: string, self?: string): void => {
    if (known.includes(value)) return;
    const suggestion = suggestValue(
      value,
      known.filter((n) => n !== self),
    );
    out.push({ path, message: `names no stage ("${value}"; the stages are ${known.map((n) => `"${n}"`).join(', ') || 'not readable'})`, ...(suggestion ? { suggestion } : {}) });
  };

  stages.forEach((s, i) => {
    if (!isObj(s)) return;
    const name = text(s.name);
    const first = name === undefined ? -1 : names.indexOf(name);
    if (name !== undefined && first !== i) out.push({ path: ['stages', i, 'name'], message: `another stage is already named "${name}" (stages[${first}])` });
    const branch = text(s.branch);
    const from = text(s.from);
    if (branch !== undefined && branch === from) out.push({ path: ['stages', i, 'from'], message: `must differ from branch ("${branch}"): a stage promotes from one branch into another` });
    const twin = stages.findIndex((o, j) => j < i && isObj(o) && branch !== undefined && from !== undefined && o.branch === branch && o.from === from);
    if (twin >= 0) out.push({ path: ['stages', i, 'branch'], message: `stages[${twin}] already promotes ${from} → ${branch}; each pair of branches belongs to one stage` });

    const verifiedIn = text(s.verified_in);
    if (verifiedIn !== undefined) {
      if (verifiedIn === name) out.push({ path: ['stages', i, 'verified_in'], message: 'cannot be the stage itself' });
      else nameProblem(['stages', i, 'verified_in'], verifiedIn, name);
    }
    if (s.soak !== undefined && s.verified_in === undefined)
      out.push({ path: ['stages', i, 'soak'], message: 'needs verified_in (soak is how long ago the verification in that stage must have succeeded)' });

    list(s.freeze).forEach((f, j) => {
      if (!isObj(f)) return;
      const zone = typeof f.timezone === 'string' && IANAZone.isValidZone(f.timezone) ? f.timezone : 'UTC';
      const start = freezeEdge(f.from, zone, 'from');
      const end = freezeEdge(f.to, zone, 'to');
      if (start !== null && end !== null && end <= start) {
        out.push({ path: ['stages', i, 'freeze', j, 'to'], message: `is before from (${String(f.from)}): the freeze would never start; swap from and to` });
      }
    });
    list(s.windows).forEach((w, j) => {
      if (!isObj(w) || typeof w.hours !== 'string' || !HOURS.pattern.test(w.hours)) return;
      const [open, close] = w.hours.split('-');
      if (open === close) {
        out.push({ path: ['stages', i, 'windows', j, 'hours'], message: 'opens and closes at the same time, so the window is never open' });
      }
    });
    const metrics = isObj(s.verify) && isObj(s.verify.metrics) ? s.verify.metrics : null;
    list(metrics?.checks).forEach((c, j) => {
      if (isObj(c) && typeof c.min === 'number' && typeof c.max === 'number' && c.min > c.max) {
        out.push({ path: ['stages', i, 'verify', 'metrics', 'checks', j, 'min'], message: `is above max (${c.max}): no value can pass` });
      }
    });
  });

  out.push(
    ...cycles(stages, 'from', 'the stages form a cycle (each promotes from the branch of the next)'),
    ...cycles(stages, 'verified_in', 'verified_in forms a cycle, so none of these stages can ever be verified first'),
  );

  const lowTiers = list(doc.risk).filter((r) => isObj(r) && r.level === 'low');
  stages.forEach((s, i) => {
    if (!isObj(s) || s.auto_merge !== true) return;
    const approvals = isObj(s.signoff) && typeof s.signoff.approvals === 'number' ? s.signoff.approvals : 1;
    const name = text(s.name);
    const low = lowTiers.some((r) => isObj(r) && (r.stages === undefined || list(r.stages).includes(name)));
    if (approvals > 0 && !low)
      out.push({
        path: ['stages', i, 'auto_merge'],
        message: `can never merge: the stage requires ${approvals} approval${approvals === 1 ? '' : 's'} and no low-risk tier applies to it (set signoff.approvals: 0, or add a risk tier with level: low)`,
      });
  });

  const rotation = isObj(doc.rotation) ? doc.rotation : null;
  if (rotation) {
    list(rotation.stages).forEach((st, j) => {
      if (typeof st === 'string') nameProblem(['rotation', 'stages', j], st);
    });
    const zone = typeof rotation.timezone === 'string' && IANAZone.isValidZone(rotation.timezone) ? rotation.timezone : 'UTC';
    list(rotation.overrides).forEach((o, j) => {
      if (!isObj(o)) return;
      const start = freezeEdge(o.from, zone, 'from');
      const end = freezeEdge(o.to, zone, 'to');
      if (start !== null && end !== null && end <= start)
        out.push({ path: ['rotation', 'overrides', j, 'to'], message: `is before from (${String(o.from)}): the override would never start; swap from and to` });
    });
  }

  list(doc.risk).forEach((r, i) => {
    if (!isObj(r)) return;
    list(r.stages).forEach((st, j) => {
      if (typeof st === 'string') nameProblem(['risk', i, 'stages', j], st);
    });
    if (r.level === 'low' && r.signoff !== undefined) out.push({ path: ['risk', i, 'signoff'], message: 'a low tier cannot require sign-off (low means the paths need no manual sign-off)' });
  });
  const breakGlass = isObj(doc.break_glass) ? doc.break_glass : null;
  list(breakGlass?.stages).forEach((st, j) => {
    if (typeof st === 'string') nameProblem(['break_glass', 'stages', j], st);
  });
  const locks = isObj(doc.locks) ? doc.locks : null;
  const lockDefault = typeof locks?.default_duration === 'string' ? parseDuration(locks.default_duration) : null;
  const lockMax = typeof locks?.max_duration === 'string' ? parseDuration(locks.max_duration) : null;
  if (lockDefault !== null && lockMax !== null && lockDefault > lockMax) {
    out.push({ path: ['locks', 'default_duration'], message: `is longer than max_duration (${String(locks?.max_duration)}): a lock without --for could never be taken` });
  }
  if (lockMax === 0) out.push({ path: ['locks', 'max_duration'], message: 'is zero: no lock could ever be taken' });
  return out;
}

/** The instant a freeze edge stands for (a date `to` is inclusive: the next midnight), or null. */
function freezeEdge(value: unknown, zone: string, edge: 'from' | 'to'): number | null {
  if (typeof value !== 'string' || !DATE.pattern.test(value)) return null;
  const dt = DateTime.fromISO(value.trim().replace(' ', 'T'), { zone });
  if (!dt.isValid) return null;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value.trim());
  return (dateOnly ? (edge === 'from' ? dt.startOf('day') : dt.startOf('day').plus({ days: 1 })) : dt).toMillis();
}

/**
 * Cycles among stages: through `from` (a stage promotes from the branch of the stage before it) or
 * through `verified_in`. Each cycle is reported once, at its first stage.
 */
function cycles(stages: unknown[], via: 'from' | 'verified_in', what: string): CrossProblem[] {
  const next = (i: number): number => {
    const s = stages[i];
    if (!isObj(s)) return -1;
    if (via === 'from') return stages.findIndex((o, j) => j !== i && isObj(o) && typeof s.from === 'string' && o.branch === s.from);
    return stages.findIndex((o, j) => j !== i && isObj(o) && typeof s.verified_in === 'string' && o.name === s.verified_in);
  };
  const label = (i: number): string => {
    const s = stages[i];
    return isObj(s) && typeof s.name === 'string' ? s.name : `stages[${i}]`;
  };
  const out: CrossProblem[] = [];
  const reported = new Set<number>();
  stages.forEach((_, start) => {
    if (reported.has(start)) return;
    const path: number[] = [];
    let at = start;
    while (at >= 0 && !path.includes(at)) {
      path.push(at);
      at = next(at);
    }
    if (at !== start) return;
    path.forEach((k) => reported.add(k));
    const chain = [...path, start].map(label).join(' → ');
    out.push({ path: ['stages', start, via], message: `${what}: ${chain}` });
  });
  return out;
}
