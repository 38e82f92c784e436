import { describe, expect, it } from '@jest/globals';
import { configSchema } from '../../src/config/schema.js';
import { fakeCommit, fakeFacts, fakeReview } from '../../src/facts/fake.js';
import { evaluateGate } from '../../src/gate/evaluate.js';
import { decideAutoMerge } from '../../src/promotion/auto-merge.js';
import { ctxOf, HEAD } from '../rules/support.js';

const config = (staging: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  configSchema.parse({
    stages: [{ name: 'staging', branch: 'staging', from: 'master', auto_merge: true, ...staging }],
    risk: [{ name: 'docs', paths: ['docs/**', '**/*.md'], level: 'low' }],
    ...extra,
  });
const facts = (files: string[], over: Parameters<typeof fakeFacts>[0] = {}) =>
  fakeFacts({ pullRequest: { baseRef: 'staging', headRef: 'master', headSha: HEAD, author: 'stagegate[bot]' }, commits: [fakeCommit(HEAD, { author: 'carol' })], files, ...over });

async function decision(cfg: ReturnType<typeof config>, files: string[], over: Parameters<typeof fakeFacts>[0] = {}, now?: Date) {
  const ctx = ctxOf(cfg, 'staging', facts(files, over), now);
  const result = await evaluateGate(ctx);
  return { result, decision: decideAutoMerge(cfg, ctx.stage, result) };
}

describe('auto-merge decision', () => {
  it('a docs-only range on a stage with approvals merges itself, pinned to the head', async () => {
    const { decision: d, result } = await decision(config({ signoff: { approvals: 1 } }), ['docs/guide.md', 'README.md']);
    expect(result.signoff?.required).toBe(0);
    expect(d).toEqual({ kind: 'merge', headSha: HEAD, why: expect.stringContaining('no manual sign-off') });
  });

  it('a code change on the same stage needs a person: never, even once someone approved', async () => {
    const approved = await decision(config({ signoff: { approvals: 1 } }), ['src/cart.ts'], { reviews: [fakeReview('bob', 'APPROVED', HEAD, '2026-11-24T08:00:00Z')] });
    expect(approved.result.state).toBe('passed');
    expect(approved.decision).toMatchObject({ kind: 'never', why: 'this range needs 1 manual approval: a person merges it' });
  });

  it('a stage with no approvals configured merges any green range; auto_merge off never does', async () => {
    expect((await decision(config({ signoff: { approvals: 0 } }), ['src/cart.ts'])).decision.kind).toBe('merge');
    expect((await decision(config({ signoff: { approvals: 0 }, auto_merge: false }), ['src/cart.ts'])).decision).toMatchObject({ kind: 'never' });
  });

  it('windows and freezes still hold it: wait, not merge', async () => {
    const frozen = config({ signoff: { approvals: 0 }, freeze: [{ from: '2026-11-20', to: '2026-11-30', reason: 'Holiday freeze' }] });
    const { decision: d } = await decision(frozen, ['docs/a.md']);
    expect(d.kind).toBe('wait');
    expect(d.why).toContain('freeze');
  });

  it('a policy change is never low risk, so it never self-merges', async () => {
    expect((await decision(config({ signoff: { approvals: 1 } }), ['docs/a.md', '.github/stagegate.yml'])).decision.kind).toBe('never');
  });

  it('unreadable files fail closed: never', async () => {
    const { decision: d } = await decision(config({ signoff: { approvals: 1 } }), ['docs/a.md'], { errors: { files: 'HTTP 502' } });
    expect(d.kind).not.toBe('merge');
  });

  it('rotation.require adds one approval from the team on duty (named), and with it the stage no longer self-merges', async () => {
    const cfg = config(
      { signoff: { approvals: 0 } },
      { rotation: { teams: ['@acme/web', '@acme/payments'], period: '1w', start: '2026-11-16T09:00', timezone: 'Europe/Berlin', require: true, stages: ['staging'] } },
    );
    const now = new Date('2026-11-24T09:00:00Z');
    const { result, decision: d } = await decision(cfg, ['src/cart.ts'], { teams: { 'acme/payments': ['erin'] }, reviews: [fakeReview('erin', 'APPROVED', HEAD, '2026-11-24T08:00:00Z')] }, now);
    const duty = result.rules.find((r) => r.id === 'approvals')?.children?.find((c) => c.title.includes('on duty'));
    expect(duty).toMatchObject({ title: 'Sign-off by @acme/payments (on duty)', state: 'passed', matched: ['erin'] });
    expect(duty?.nextChangeAt).toBe('2026-11-30T08:00:00.000Z');
    expect(result.nextChangeAt).toBe('2026-11-30T08:00:00.000Z');
    expect(d).toMatchObject({ kind: 'never', why: 'this range needs 1 manual approval: a person merges it' });
    // The web team's member does not count for the payments team's week.
    const other = await decision(cfg, ['src/cart.ts'], { teams: { 'acme/web': ['erin'] }, reviews: [fakeReview('erin', 'APPROVED', HEAD, '2026-11-24T08:00:00Z')] }, now);
    expect(other.result.state).toBe('pending');
  });
});
