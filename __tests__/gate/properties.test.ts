import { describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config/schema.js';
import { fakeCheck, fakeCommit, fakeDeploys, fakeFacts, fakePerson, type FakeFactsInput } from '../../src/facts/fake.js';
import type { CommitFact, ReviewFact } from '../../src/facts/types.js';
import { decide } from '../../src/gate/decision.js';
import { evaluateGate } from '../../src/gate/evaluate.js';
import { STATE_ORDER, worst, type GateResult } from '../../src/gate/types.js';
import { HEAD, OLD, ctxOf, productConfig } from '../rules/support.js';

/** mulberry32: a small seeded generator, so every failure names a reproducible seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NOW = new Date('2026-11-24T09:00:00Z');
const LOGINS = ['anna', 'Anna', 'tom', 'pat', 'zed', 'ivan', 'alice', 'bob', 'frank', 'dave', 'pia', 'paul'];
const FILES = ['src/app.ts', 'src/payments/charge.ts', 'docs/guide.md', 'README.md', 'migrations/0001.sql'];
const STATES: ReviewFact['state'][] = ['APPROVED', 'APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED'];
const teams = { 'acme/release-managers': ['tom', { login: 'pat', state: 'pending' as const }], 'acme/payments-leads': ['pia', 'paul'] };

interface Scenario {
  seed: number;
  config: Config;
  stage: 'staging' | 'production';
  input: FakeFactsInput;
  reviews: ReviewFact[];
}

const minute = (m: number): string => new Date(Date.UTC(2026, 10, 24, 7, 0) + m * 60_000).toISOString();

/** A random promotion: commits by some of the logins, random files, reviews in time order (before the last push on the old head). */
function scenario(seed: number): Scenario {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const stage = r() < 0.5 ? 'staging' : 'production';
  const sod = r() < 0.8;
  const config = productConfig({
    staging: { signoff: { approvals: 1 + Math.floor(r() * 2), separation_of_duties: sod } },
    production: { signoff: { approvals: 1 + Math.floor(r() * 2), reviewers: ['anna', '@acme/release-managers'], separation_of_duties: sod } },
  });
  const commits: CommitFact[] = [];
  const nCommits = 1 + Math.floor(r() * 3);
  for (let i = 0; i < nCommits; i += 1) {
    const sha = i === nCommits - 1 ? HEAD : `${i}`.padStart(40, 'c');
    const coAuthors = r() < 0.3 ? [r() < 0.5 ? pick(LOGINS).toLowerCase() : fakePerson(null, `77+${pick(LOGINS)}@users.noreply.github.com`, 'X')] : [];
    commits.push(fakeCommit(sha, { author: pick(['alice', 'bob', 'frank', 'ivan']), committer: r() < 0.8 ? undefined : pick(['bob', 'zed']), coAuthors }));
  }
  const files = FILES.filter(() => r() < 0.4);
  const pushAt = Math.floor(r() * 20);
  const reviews: ReviewFact[] = [];
  const nReviews = Math.floor(r() * 9);
  for (let i = 0; i < nReviews; i += 1) {
    const m = i * 3 + 1;
    reviews.push({ id: i + 1, user: pick(LOGINS), state: pick(STATES), commitId: m < pushAt ? OLD : HEAD, submittedAt: minute(m) });
  }
  const input: FakeFactsInput = {
    pullRequest: { headSha: HEAD, author: 'dave' },
    commits,
    files,
    teams,
    checks: { [HEAD]: [fakeCheck('build', 'completed', 'success', minute(0)), fakeCheck('test', 'completed', 'success', minute(0))] },
    ...fakeDeploys([{ id: 1, sha: HEAD, environment: 'staging', createdAt: minute(-120), status: { state: 'success', createdAt: minute(-110) } }]),
  };
  return { seed, config, stage, input, reviews };
}

async function gate(s: Scenario, reviews: ReviewFact[]): Promise<GateResult> {
  return evaluateGate(ctxOf(s.config, s.stage, fakeFacts({ ...s.input, reviews }), NOW));
}

const SEEDS = Array.from({ length: 200 }, (_, i) => 1000 + i * 7919);
const order = (g: GateResult): number => STATE_ORDER[g.state];

describe('gate invariants over generated promotions', () => {
  it('adding a stale approval (earliest review, older head) never changes the state', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const before = await gate(s, s.reviews);
      for (const login of ['anna', 'tom', 'zed', 'alice', 'dave']) {
        const stale: ReviewFact = { id: 999, user: login, state: 'APPROVED', commitId: OLD, submittedAt: minute(0) };
        const after = await gate(s, [stale, ...s.reviews]);
        expect({ seed, login, state: after.state }).toEqual({ seed, login, state: before.state });
      }
    }
  });

  it('removing an approval never turns blocked or pending into passed, nor improves the state', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const before = await gate(s, s.reviews);
      for (const r of s.reviews.filter((x) => x.state === 'APPROVED')) {
        const after = await gate(
          s,
          s.reviews.filter((x) => x !== r),
        );
        expect({ seed, removed: r.id, worse: order(after) >= order(before) }).toEqual({ seed, removed: r.id, worse: true });
      }
    }
  });

  it('a new approval of the head never makes the state worse', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const before = await gate(s, s.reviews);
      for (const login of ['anna', 'tom', 'pat', 'alice', 'pia']) {
        const fresh: ReviewFact = { id: 998, user: login, state: 'APPROVED', commitId: HEAD, submittedAt: minute(100) };
        const after = await gate(s, [...s.reviews, fresh]);
        expect({ seed, login, better: order(after) <= order(before) }).toEqual({ seed, login, better: true });
      }
    }
  });

  it('reviewer login case and listing order do not matter', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const before = await gate(s, s.reviews);
      const upper = await gate(
        s,
        s.reviews.map((r) => ({ ...r, user: r.user.toUpperCase() })),
      );
      const reversed = await gate(s, [...s.reviews].reverse());
      expect({ seed, upper: upper.state, reversed: reversed.state }).toEqual({ seed, upper: before.state, reversed: before.state });
    }
  });

  it('counted approvals are of the head, by neither the PR author nor (with separation of duties) anyone in the range', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const g = await gate(s, s.reviews);
      const stage = s.config.stages.find((x) => x.name === s.stage)!;
      const range = new Set((s.input.commits ?? []).flatMap((c) => [c.author, c.committer, ...c.coAuthors]).map((p) => (p.login ?? /\+(.+)@users/.exec(p.email)?.[1] ?? '').toLowerCase()));
      for (const v of g.approvals.filter((x) => x.counted)) {
        expect({ seed, login: v.login, commit: v.commitId }).toEqual({ seed, login: v.login, commit: HEAD });
        expect(v.login.toLowerCase()).not.toBe('dave');
        if (stage.signoff.separation_of_duties) expect({ seed, inRange: range.has(v.login.toLowerCase()) }).toEqual({ seed, inRange: false });
      }
      const approvals = g.rules.find((r) => r.id === 'approvals')!;
      const stageReq = approvals.children![0]!;
      const waived = g.risk?.lowOnly === true;
      if (stageReq.state === 'passed' && !waived) expect({ seed, enough: stageReq.matched.length >= stage.signoff.approvals }).toEqual({ seed, enough: true });
    }
  });

  it('the gate state is the worst rule state, and the decision follows it', async () => {
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const g = await gate(s, s.reviews);
      expect(g.state).toBe(worst(g.rules.map((r) => r.state)));
      expect(decide(g).kind).toBe({ passed: 'deploy', pending: 'wait', blocked: 'block' }[g.state]);
      expect(decide(g).reasons.length).toBe(g.rules.filter((r) => r.state !== 'passed').length);
    }
  });

  it('generates a spread of outcomes (the invariants are not vacuous)', async () => {
    const seen = new Map<string, number>();
    for (const seed of SEEDS) {
      const s = scenario(seed);
      const g = await gate(s, s.reviews);
      seen.set(g.state, (seen.get(g.state) ?? 0) + 1);
    }
    for (const state of ['passed', 'pending', 'blocked']) expect(seen.get(state) ?? 0).toBeGreaterThan(10);
  });
});
