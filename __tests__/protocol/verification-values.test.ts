import { describe, expect, it } from '@jest/globals';
import type { EvidenceStatus } from '../../src/protocol/evidence.js';
import { parseValuesDescription, valuesDescription, verificationValues, type CheckValues } from '../../src/protocol/verification-values.js';

// The check values travel from the Action's run to the audit trail in deployment statuses. Only the
// protected run's own (GitHub Actions' app, linking to that run, before it completed) count, and
// only as one complete, unambiguous set: anything added can withhold them, never change them.

const REPO = 'acme/shop';
const RUN = 9001;
const runUrl = (id: number) => `https://github.com/${REPO}/actions/runs/${id}`;
const ACTIONS = { id: 15368, slug: 'github-actions' };
const anchor = { runId: RUN, completedAt: '2026-11-10T10:10:00Z', repository: REPO };

const health: CheckValues = { kind: 'http', name: 'health', verdict: 'pass', observed: 'HTTP 200', threshold: 'status 200' };
const ratio: CheckValues = { kind: 'metric', name: '5xx ratio', verdict: 'pass', observed: 'max 0.002 (3 samples)', threshold: '≤ 0.01' };

let nextId = 1;
function status(description: string, over: Partial<EvidenceStatus> = {}): EvidenceStatus {
  const id = nextId++;
  return {
    id,
    state: 'in_progress',
    description,
    logUrl: runUrl(RUN),
    targetUrl: null,
    createdAt: `2026-11-10T10:0${Math.min(9, id % 10)}:00Z`,
    creator: 'github-actions[bot]',
    performedViaApp: ACTIONS,
    ...over,
  };
}
const genuine = (): EvidenceStatus[] => [status(valuesDescription(health, 1, 2)), status(valuesDescription(ratio, 2, 2))];

describe('values status descriptions', () => {
  it('round-trip, and fit GitHub’s 140 characters by shortening the longest field', () => {
    expect(valuesDescription(ratio, 2, 2)).toBe('values 2/2 metric pass ["5xx ratio","max 0.002 (3 samples)","≤ 0.01"]');
    expect(parseValuesDescription(valuesDescription(ratio, 2, 2))).toEqual({ ...ratio, index: 2, total: 2 });
    const long = { ...health, name: 'n'.repeat(90), observed: 'HTTP 503 "quoted" body', threshold: 't'.repeat(80) };
    const d = valuesDescription(long, 1, 1);
    expect(d.length).toBeLessThanOrEqual(140);
    const back = parseValuesDescription(d)!;
    expect(back.observed).toBe('HTTP 503 "quoted" body');
    expect(back.name.endsWith('…') && back.threshold.endsWith('…')).toBe(true);
  });

  it.each([
    ['a lifecycle status', 'success: ok (verified 1234567)'],
    ['index past the total', 'values 3/2 http pass ["a","b","c"]'],
    ['index 0', 'values 0/2 http pass ["a","b","c"]'],
    ['an unknown kind', 'values 1/1 shell pass ["a","b","c"]'],
    ['fields that are not three strings', 'values 1/1 http pass ["a","b"]'],
    ['fields that are not JSON', 'values 1/1 http pass [a,b,c]'],
  ])('%s is not a values status', (_what, d) => {
    expect(parseValuesDescription(d)).toBeNull();
  });
});

describe('verificationValues', () => {
  it('records the run’s own complete set, in order, naming the status each came from', () => {
    const statuses = genuine();
    const v = verificationValues([...statuses].reverse(), anchor);
    expect(v).toEqual({
      kind: 'recorded',
      checks: [
        { ...health, index: 1, statusId: statuses[0]!.id, at: statuses[0]!.createdAt },
        { ...ratio, index: 2, statusId: statuses[1]!.id, at: statuses[1]!.createdAt },
      ],
    });
  });

  it.each([
    ['a writer’s own token', { creator: 'mallory', performedViaApp: null }],
    ['another app', { creator: 'evil[bot]', performedViaApp: { id: 1, slug: 'evil' } }],
    ['a link to another run', { logUrl: runUrl(9002) }],
    ['a link to a run of another repository', { logUrl: `https://github.com/acme/other/actions/runs/${RUN}` }],
    ['a status posted after the run completed', { createdAt: '2026-11-10T10:10:01Z' }],
  ])('a forged set from %s is ignored: the genuine values stand', (_what, over) => {
    const forged = [status(valuesDescription({ ...ratio, observed: 'max 0.5' }, 2, 2), over), status(valuesDescription({ ...health, observed: 'HTTP 500' }, 1, 1), over)];
    const v = verificationValues([...genuine(), ...forged], anchor);
    expect(v.kind).toBe('recorded');
    if (v.kind === 'recorded') expect(v.checks.map((c) => c.observed)).toEqual(['HTTP 200', 'max 0.002 (3 samples)']);
  });

  it('a second claim in the run’s own name makes the values ambiguous: not recorded, never replaced', () => {
    const v = verificationValues([...genuine(), status(valuesDescription({ ...ratio, observed: 'max 0.000' }, 2, 2))], anchor);
    expect(v).toMatchObject({ kind: 'absent', why: expect.stringContaining("more than one status in run 9001's name claims check 2 of 2: ambiguous") });
  });

  it('disagreeing totals, a gap, or no values at all: not recorded, saying why', () => {
    expect(verificationValues([...genuine(), status(valuesDescription(health, 1, 3))], anchor)).toMatchObject({ kind: 'absent', why: expect.stringContaining('disagree on how many checks') });
    expect(verificationValues([genuine()[1]!], anchor)).toMatchObject({ kind: 'absent', why: expect.stringContaining('posted 1 of 2 values statuses (missing 1): incomplete') });
    expect(verificationValues([status('in_progress: deploying 1234567')], anchor)).toEqual({ kind: 'absent', why: 'run 9001 posted no verification values' });
    expect(verificationValues([status(valuesDescription(health, 1, 1), { creator: 'mallory', performedViaApp: null })], anchor)).toEqual({
      kind: 'absent',
      why: 'run 9001 posted no verification values (1 values status(es) not written by run 9001 were ignored)',
    });
  });
});
