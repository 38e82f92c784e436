import { GITHUB_ACTIONS_APP_SLUG, newestFirst, runIdOf, type EvidenceStatus } from './evidence.js';

/**
 * The values a deploy run's verification observed (each smoke test's and metric check's observed
 * value against its threshold), carried from the Action to the audit trail in the deployment's own
 * statuses: before its final status the Action posts one `in_progress` status per check, linking to
 * its run (`log_url`), described `values <i>/<n> <kind> <verdict> ["name","observed","threshold"]`.
 *
 * A status is a claim anyone with `deployments: write` can post. The values are taken as evidence only
 * from statuses that
 * 1. were written through GitHub Actions' own app (`performed_via_github_app` is `github-actions`,
 *    as the protected run's `GITHUB_TOKEN` writes) — never a person's or another app's token;
 * 2. link to the very run the verification rests on (already judged by ./evidence.ts: the
 *    protected deploy workflow's run bound to this deployment);
 * 3. were created before that run completed.
 * and only when those form exactly one complete set (one status for each of 1..n, one n). Anything
 * else written in the run's name (a second set, a gap) makes the values ambiguous and they are not
 * recorded: an added claim can withhold the values, never change them. Pure.
 */

/** The kinds of check, as the Action's report names them. */
export type ValueKind = 'http' | 'command' | 'metric';

/** One check's values, as the Action posts them. */
export interface CheckValues {
  kind: ValueKind;
  name: string;
  verdict: 'pass' | 'fail';
  /** What was observed (`HTTP 200`, `exit 0`, `max 0.002 (3 samples)`). */
  observed: string;
  /** What was required (`status 200`, `≤ 0.01`). */
  threshold: string;
}

/** One check's values as recorded from a status: where they came from, too. */
export interface RecordedCheckValues extends CheckValues {
  /** 1-based position in the run's set. */
  index: number;
  statusId: number;
  at: string;
}

/** What the statuses of a run say about its values. */
export type VerificationValues = { kind: 'recorded'; checks: RecordedCheckValues[] } | { kind: 'absent'; why: string };

/** GitHub's limit on a status description. */
const DESCRIPTION_LIMIT = 140;
const PATTERN = /^values (\d{1,4})\/(\d{1,4}) (http|command|metric) (pass|fail) (\[.*\])$/s;

/** The status description carrying check `index` (1-based) of `total`; fields are shortened to fit 140 characters. */
export function valuesDescription(c: CheckValues, index: number, total: number): string {
  const full = [c.name, c.observed, c.threshold];
  const kept = full.map((f) => f.length);
  const fields = (): string[] => full.map((f, i) => (kept[i]! < f.length ? `${f.slice(0, kept[i])}…` : f));
  const render = (): string => `values ${index}/${total} ${c.kind} ${c.verdict} ${JSON.stringify(fields())}`;
  // Shorten the longest field a character at a time, so long fields end up about equally cut.
  while (render().length > DESCRIPTION_LIMIT) {
    const i = kept.reduce((best, n, k) => (n > kept[best]! ? k : best), 0);
    if (kept[i]! <= 1) break;
    kept[i] = kept[i]! - 1;
  }
  return render();
}

/** Parses a values status description; null when it is not one. */
export function parseValuesDescription(description: string | null): (CheckValues & { index: number; total: number }) | null {
  const m = PATTERN.exec(description ?? '');
  if (!m) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(m[5]!);
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 3 || !fields.every((f) => typeof f === 'string')) return null;
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (index < 1 || index > total) return null;
  const [name, observed, threshold] = fields as [string, string, string];
  return { index, total, kind: m[3] as ValueKind, verdict: m[4] as 'pass' | 'fail', name, observed, threshold };
}

/** The run the verification rests on: its id, and when it completed. */
export interface ValuesAnchor {
  runId: number;
  /** The run's completion time (`updated_at` of the completed run). */
  completedAt: string;
  /** `owner/name`. */
  repository: string;
}

/** The verification values of a deployment, from its statuses, as evidence (see the module comment). */
export function verificationValues(statuses: readonly EvidenceStatus[], anchor: ValuesAnchor): VerificationValues {
  const until = Date.parse(anchor.completedAt);
  const sets = new Map<number, RecordedCheckValues[]>();
  let claims = 0;
  for (const s of [...newestFirst(statuses)].reverse()) {
    const v = parseValuesDescription(s.description);
    if (!v) continue;
    const own = s.performedViaApp?.slug === GITHUB_ACTIONS_APP_SLUG && runIdOf(s, anchor.repository) === anchor.runId && Date.parse(s.createdAt) <= until;
    if (!own) {
      claims++;
      continue;
    }
    const { total, ...check } = v;
    sets.set(total, [...(sets.get(total) ?? []), { ...check, statusId: s.id, at: s.createdAt }]);
  }
  const ignored = claims ? ` (${claims} values status(es) not written by run ${anchor.runId} were ignored)` : '';
  if (sets.size === 0) return { kind: 'absent', why: `run ${anchor.runId} posted no verification values${ignored}` };
  if (sets.size > 1) return { kind: 'absent', why: `run ${anchor.runId}'s values statuses disagree on how many checks there were (${[...sets.keys()].join(', ')}): ambiguous, not recorded${ignored}` };
  const [[total, checks]] = [...sets.entries()] as [[number, RecordedCheckValues[]]];
  const seen = new Map<number, number>();
  for (const c of checks) seen.set(c.index, (seen.get(c.index) ?? 0) + 1);
  const twice = [...seen.entries()].filter(([, n]) => n > 1).map(([i]) => i);
  if (twice.length) return { kind: 'absent', why: `more than one status in run ${anchor.runId}'s name claims check ${twice.join(', ')} of ${total}: ambiguous, not recorded${ignored}` };
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) return { kind: 'absent', why: `run ${anchor.runId} posted ${checks.length} of ${total} values statuses (missing ${missing.join(', ')}): incomplete, not recorded${ignored}` };
  return { kind: 'recorded', checks: [...checks].sort((a, b) => a.index - b.index) };
}
