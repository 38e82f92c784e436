import { DateTime } from 'luxon';
import { durationMs } from '../config/duration.js';
import type { Config, RotationConfig, StageConfig } from '../config/schema.js';

/**
 * Deploy-duty rotation: who is on duty at an instant, and when the next hand-over is. Pure.
 *
 * Turn k (k = 0, 1, …) of `teams[k mod n]` starts at `start + k·period`. A period of whole days or
 * weeks follows the local calendar of the rotation's time zone, so a weekly hand-over at Monday
 * 09:00 Europe/Berlin stays at 09:00 local time across daylight-saving changes (that week is 167 or
 * 169 hours long); any other period is a fixed number of milliseconds. Before `start` nobody is on
 * duty. An override (`from`..`to`: whole days inclusive, or instants, in the rotation's zone) puts
 * its team on duty instead while it lasts; when overrides overlap, the first listed wins.
 */

/** Who is on duty, from when until when. */
export interface Duty {
  /** `@org/team` or a login; null before the rotation starts. */
  team: string | null;
  /** `schedule`: the regular turn; `override`: a holiday override; `none`: before the start. */
  source: 'schedule' | 'override' | 'none';
  /** The regular turn's number (from 0), when on schedule. */
  turn: number | null;
  since: Date | null;
  /** The next hand-over (to someone else), or null when none is known within a year. */
  until: Date | null;
  /** Who takes over then. */
  next: string | null;
}

const DAY_MS = 86_400_000;

function instant(value: string, zone: string, edge: 'from' | 'to'): DateTime {
  const text = value.trim().replace(' ', 'T');
  const dt = DateTime.fromISO(text, { zone });
  if (!dt.isValid) throw new Error(`cannot read rotation ${edge} "${value}" in ${zone}`);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return edge === 'from' ? dt.startOf('day') : dt.startOf('day').plus({ days: 1 });
  return dt;
}

/** The rotation's start instant. */
export function rotationStart(r: RotationConfig): DateTime {
  return instant(r.start, r.timezone, 'from');
}

/** The regular turn at `at` (null before the start): its number and its bounds. */
export function regularTurn(r: RotationConfig, at: Date): { turn: number; start: DateTime; end: DateTime } | null {
  const start = rotationStart(r);
  const period = durationMs(r.period);
  if (period <= 0) throw new Error('the rotation period must be longer than 0');
  const t = DateTime.fromJSDate(at, { zone: r.timezone });
  if (t < start) return null;
  if (period % DAY_MS === 0) {
    const days = period / DAY_MS;
    const bound = (k: number): DateTime => start.plus({ days: k * days });
    let k = Math.floor(t.diff(start, 'days').days / days);
    while (k > 0 && bound(k) > t) k--;
    while (bound(k + 1) <= t) k++;
    return { turn: k, start: bound(k), end: bound(k + 1) };
  }
  const k = Math.floor((t.toMillis() - start.toMillis()) / period);
  return { turn: k, start: DateTime.fromMillis(start.toMillis() + k * period, { zone: r.timezone }), end: DateTime.fromMillis(start.toMillis() + (k + 1) * period, { zone: r.timezone }) };
}

function overridesOf(r: RotationConfig): { team: string; start: number; end: number }[] {
  return r.overrides.map((o) => ({ team: o.team, start: instant(o.from, r.timezone, 'from').toMillis(), end: instant(o.to, r.timezone, 'to').toMillis() }));
}

/** Who is on duty at `at`, without the look-ahead. */
function effective(r: RotationConfig, at: number): { team: string | null; source: Duty['source']; turn: number | null } {
  const o = overridesOf(r).find((x) => x.start <= at && at < x.end);
  if (o) return { team: o.team, source: 'override', turn: null };
  const turn = regularTurn(r, new Date(at));
  if (!turn) return { team: null, source: 'none', turn: null };
  return { team: r.teams[turn.turn % r.teams.length] ?? null, source: 'schedule', turn: turn.turn };
}

/** The instants after `at` where duty may change: turn boundaries and override edges. */
function nextEdge(r: RotationConfig, at: number): number | null {
  const edges: number[] = [];
  const turn = regularTurn(r, new Date(at));
  edges.push(turn ? turn.end.toMillis() : rotationStart(r).toMillis());
  for (const o of overridesOf(r)) for (const e of [o.start, o.end]) if (e > at) edges.push(e);
  const later = edges.filter((e) => e > at);
  return later.length ? Math.min(...later) : null;
}

const same = (a: string | null, b: string | null): boolean => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/** Who is on duty at `at`, since when, and the next hand-over to someone else (looked for up to a year ahead). */
export function dutyAt(r: RotationConfig, at: Date): Duty {
  const now = at.getTime();
  const cur = effective(r, now);
  // Since: walk back over edges is costly; the start of the current turn or override is enough.
  const o = overridesOf(r).find((x) => x.start <= now && now < x.end);
  const turn = regularTurn(r, at);
  const since = cur.source === 'override' && o ? new Date(o.start) : turn ? turn.start.toJSDate() : null;
  let t = now;
  const horizon = now + 366 * DAY_MS;
  for (let i = 0; i < 1000; i++) {
    const e = nextEdge(r, t);
    if (e === null || e > horizon) break;
    const then = effective(r, e);
    if (!same(then.team, cur.team)) return { ...cur, since, until: new Date(e), next: then.team };
    t = e;
  }
  return { ...cur, since, until: null, next: null };
}

/** The stages whose promotions the team on duty reviews: `rotation.stages`, else every stage that needs approvals. */
export function dutyStages(config: Config): StageConfig[] {
  const r = config.rotation;
  if (!r) return [];
  if (r.stages) return config.stages.filter((s) => r.stages!.includes(s.name));
  return config.stages.filter((s) => s.signoff.approvals > 0);
}

/**
 * Whether the team on duty may approve promotions to `stage`: the stage lists no reviewers (anyone
 * with write access signs off; GitHub itself refuses a review request for a team without access),
 * or lists it.
 */
export function mayApprove(stage: StageConfig, team: string): boolean {
  const reviewers = stage.signoff.reviewers;
  return reviewers === undefined || reviewers.some((x) => x.toLowerCase() === team.toLowerCase());
}

/** A review request for the team (or user) on duty: GitHub's `team_reviewers` (slug) or `reviewers` (login). */
export function reviewRequestOf(team: string): { reviewers: string[]; team_reviewers: string[] } {
  if (team.startsWith('@')) return { reviewers: [], team_reviewers: [team.slice(1).split('/')[1] ?? ''] };
  return { reviewers: [team], team_reviewers: [] };
}

/** A hand-over instant in the rotation's zone, e.g. `2026-03-30 09:00 CEST (Europe/Berlin)`. */
export function formatHandover(r: RotationConfig, at: Date): string {
  const dt = DateTime.fromJSDate(at, { zone: r.timezone });
  return `${dt.toFormat('yyyy-LL-dd HH:mm ZZZZ')} (${r.timezone})`;
}
