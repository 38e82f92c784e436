import { describe, expect, it } from '@jest/globals';
import type { BreakGlass } from '../../src/break-glass/types.js';
import { fakeCommandFacts, type FakeCommandWorld } from '../../src/commands/fake.js';
import { decideCommand, type CommandVerdict } from '../../src/commands/run.js';
import type { CommentTarget, MergeApproval, StageDeployment } from '../../src/commands/types.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { PullRequestFact } from '../../src/facts/types.js';
import type { GateResult } from '../../src/gate/types.js';
import type { StageLock } from '../../src/locks/types.js';
import { promotionPayload } from '../../src/protocol/deployment-payload.js';
import type { VerificationVerdict } from '../../src/protocol/evidence.js';

// Tuesday 2026-11-24 10:00 Berlin: inside the production window.
const NOW = new Date('2026-11-24T09:00:00Z');
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const M1 = '1'.repeat(40);
const M2 = '2'.repeat(40);
const M3 = '3'.repeat(40);

const config: Config = configSchema.parse({
  stages: [
    { name: 'staging', branch: 'staging', from: 'master', deploy: { command: './deploy.sh' } },
    {
      name: 'production',
      branch: 'production',
      from: 'staging',
      deploy: { command: './deploy.sh' },
      signoff: { approvals: 2, reviewers: ['anna', '@acme/release-managers'] },
      windows: [{ days: ['mon', 'tue', 'wed', 'thu'], hours: '09:00-16:00', timezone: 'Europe/Berlin' }],
    },
  ],
  locks: { max_duration: '7d' },
  break_glass: { teams: ['@acme/sre'], follow_up: { approvals: 2, deadline: '24h' } },
});
const production = config.stages[1]!;

function pr(over: Partial<PullRequestFact> = {}): PullRequestFact {
  return {
    number: 7,
    title: 'Promote staging to production',
    htmlUrl: 'https://github.com/acme/shop/pull/7',
    author: 'dave',
    state: 'open',
    draft: false,
    merged: false,
    mergeCommitSha: null,
    mergedBy: null,
    headRef: 'staging',
    headSha: HEAD,
    headRepo: 'acme/shop',
    baseRef: 'production',
    baseSha: BASE,
    baseRepo: 'acme/shop',
    ...over,
  };
}

const promotion = (over: Partial<PullRequestFact> = {}): CommentTarget => ({ kind: 'promotion', pr: pr(over), config, stage: production });

function gate(state: GateResult['state'], rules: GateResult['rules'] = []): GateResult {
  return { repository: 'acme/shop', stage: 'production', pullRequest: 7, baseSha: BASE, headSha: HEAD, state, evaluatedAt: NOW.toISOString(), rules, approvals: [], risk: null };
}

const ROLES = { anna: 'admin', carol: 'write', rita: 'read', sam: 'read', tom: 'write' } as const;
const TEAMS = { '@acme/sre': ['sam'], '@acme/release-managers': ['tom'] };

async function decide(body: string, world: Partial<FakeCommandWorld> = {}, author = 'carol', type = 'User'): Promise<CommandVerdict> {
  const facts = fakeCommandFacts({ target: promotion(), roles: ROLES, teams: TEAMS, now: () => NOW, ...world });
  return decideCommand({
    repository: 'acme/shop',
    comment: { id: 555, url: 'https://github.com/acme/shop/pull/7#issuecomment-555', body, createdAt: NOW.toISOString(), author: { login: author, type }, issueNumber: 7 },
    facts,
    now: NOW,
    self: 'stagegate[bot]',
  });
}

const refused = (reason: string | RegExp) => expect.objectContaining({ kind: 'refuse', reason: typeof reason === 'string' ? expect.stringContaining(reason) : expect.stringMatching(reason) });

function approval(sha: string, over: Partial<MergeApproval> = {}): MergeApproval {
  const payload = promotionPayload({
    stage: production,
    pullRequest: 7,
    base: BASE,
    head: HEAD,
    mergeCommit: sha,
    approvers: [{ login: 'anna', commit: HEAD, at: NOW.toISOString() }],
    source: { ref: BASE, path: '.github/stagegate.yml', fellBack: false },
    workflow: { file: 'stagegate-deploy.yml', ref: 'production' },
  });
  return {
    stage: 'production',
    mergeSha: sha,
    pullRequest: 7,
    baseSha: BASE,
    headSha: HEAD,
    mode: 'dispatch',
    stageConfig: production,
    policy: payload.policy,
    approvers: payload.approvers,
    at: NOW.toISOString(),
    ...over,
  };
}

const verified: VerificationVerdict = { kind: 'verified', status: {} as never, run: {} as never, verifiedAt: '2026-11-23T10:00:00.000Z' };
const failed: VerificationVerdict = { kind: 'failed', state: 'failure', why: 'deployment ended failure' };

function deployment(id: number, sha: string, verdict: VerificationVerdict, pull = 7): StageDeployment {
  const a = approval(sha);
  return {
    id,
    sha,
    createdAt: `2026-11-2${id % 10}T08:00:00.000Z`,
    kind: 'promotion',
    pullRequest: pull,
    verdict,
    payload: { stagegate: 1, kind: 'promotion', stage: 'production', pull_request: pull, base: BASE, head: HEAD, merge_commit: sha, approvers: a.approvers, policy: a.policy },
  };
}

const LOCK: StageLock = { id: 'x', repository: 'acme/shop', stage: 'production', holder: 'anna', reason: 'board demo', lockedAt: NOW.toISOString(), expiresAt: null, pullRequest: 7, commentUrl: null };

describe('decideCommand: what is never answered', () => {
  it('a comment without a command, and Stagegate’s own comments', async () => {
    expect(await decide('LGTM')).toMatchObject({ kind: 'ignore' });
    expect(await decide('/stagegate deploy', {}, 'stagegate[bot]', 'Bot')).toMatchObject({ kind: 'ignore', why: expect.stringContaining('own') });
  });

  it('commands switched off in the policy', async () => {
    const off = { ...config, commands: { ...config.commands, enabled: false } };
    expect(await decide('/stagegate status', { target: { kind: 'promotion', pr: pr(), config: off, stage: production } })).toMatchObject({ kind: 'ignore' });
  });
});

describe('decideCommand: refusals say why', () => {
  it('a typo gets a did-you-mean', async () => {
    expect(await decide('/stagegate deplyo')).toEqual(refused('did you mean `deploy`?'));
  });

  it('a reader may not deploy; the role is read from the facts, not the comment', async () => {
    const facts = fakeCommandFacts({ target: promotion(), roles: ROLES, now: () => NOW });
    const v = await decideCommand({
      repository: 'acme/shop',
      comment: { id: 1, url: 'u', body: '/stagegate deploy', createdAt: '', author: { login: 'rita', type: 'User' }, issueNumber: 7 },
      facts,
      now: NOW,
      self: 'stagegate[bot]',
    });
    expect(v).toEqual(refused('needs write access or more; @rita is a read'));
    expect(facts.reads.role).toBe(1);
  });

  it('a bot is refused before its role is even read', async () => {
    expect(await decide('/stagegate status', {}, 'renovate[bot]', 'Bot')).toEqual(refused('is a bot'));
  });

  it('a fork PR', async () => {
    expect(await decide('/stagegate status', { target: { kind: 'pull', pr: pr({ headRepo: 'mallory/shop' }), why: 'fork', config } })).toEqual(refused('forks'));
  });

  it('a promotion command on a PR that is no promotion, or on an issue', async () => {
    expect(await decide('/stagegate lock', { target: { kind: 'pull', pr: pr({ baseRef: 'feature' }), why: 'staging → feature matches no stage', config } })).toEqual(
      refused('not a promotion (staging → feature matches no stage)'),
    );
    expect(await decide('/stagegate deploy', { target: { kind: 'issue', number: 3, title: 'bug', state: 'open', followUp: null, config } })).toEqual(refused('not on issues'));
  });

  it('two commands in one comment run neither', async () => {
    expect(await decide('/stagegate lock\n/stagegate deploy')).toEqual(refused('one command per comment: lines 1, 2'));
  });
});

describe('help and status', () => {
  it('help lists what this person may run here', async () => {
    const v = await decide('/stagegate help', {}, 'rita');
    expect(v.kind).toBe('answer');
    const md = v.kind === 'answer' ? v.markdown : '';
    expect(md).toContain('| `/stagegate status` |');
    expect(md).toMatch(/`\/stagegate deploy` \| .* \| 🚫 not for you \|/);
    expect(md).toMatch(/`\/stagegate status` \| .* \| ✅ \|/);
    const writer = await decide('/stagegate help');
    expect(writer.kind === 'answer' && writer.markdown).toMatch(/`\/stagegate approve` \| .* \| — not here \|/);
    expect(md.split('\n').some((l) => /^\s*\/stagegate/i.test(l))).toBe(false);
  });

  it('status shows the gate, the locks, what runs and the overdue follow-ups', async () => {
    const bg: BreakGlass = {
      id: 'b',
      repository: 'acme/shop',
      stage: 'production',
      pullRequest: 6,
      headSha: M1,
      by: 'sam',
      reason: 'outage',
      at: '2026-11-22T00:00:00.000Z',
      waive: ['signoff'],
      commentUrl: null,
      followUp: {
        issueNumber: 12,
        issueUrl: 'https://github.com/acme/shop/issues/12',
        approvalsRequired: 2,
        deadline: '2026-11-23T00:00:00.000Z',
        reviewers: [],
        approvals: [],
        overdueFlaggedAt: null,
      },
    };
    const v = await decide('/stagegate status', {
      gate: gate('pending', [{ id: 'lock', title: 'Lock', state: 'pending', reason: 'production is locked by @anna', matched: ['anna'] }]),
      overview: [
        { stage: 'staging', branch: 'staging', from: 'master', lock: null, current: deployment(31, M2, verified), pending: { commits: 3, pullRequest: 8 } },
        { stage: 'production', branch: 'production', from: 'staging', lock: LOCK, current: deployment(32, M1, failed), pending: { commits: 0, pullRequest: null } },
      ],
      breakGlass: [bg],
    });
    const md = v.kind === 'answer' ? v.markdown : '';
    expect(md).toContain('**This promotion** to `production` (head `aaaaaaa`) is **pending**');
    expect(md).toContain('- ⏳ Lock: production is locked by @anna');
    expect(md).toContain('| `staging` | — | `2222222` #7 since 2026-11-21T08:00:00.000Z (deployment 31) · ✅ verified 2026-11-23T10:00:00.000Z | 3 commits on `master`, promotion #8 |');
    expect(md).toContain('🔒 locked by @anna (“board demo”)');
    expect(md).toContain('⛔ failure');
    expect(md).toContain('⚠️ **overdue** [#12](https://github.com/acme/shop/issues/12): break-glass by @sam on #6');
  });
});

describe('deploy', () => {
  it('an open promotion with a green gate: merge it, with the configured method', async () => {
    expect(await decide('/stagegate deploy', { gate: gate('passed') })).toMatchObject({ kind: 'act', effect: { kind: 'merge', pullNumber: 7, headSha: HEAD, method: 'merge', stage: 'production' } });
  });

  it('an open promotion whose gate is not green: refused, with every open rule', async () => {
    const v = await decide('/stagegate deploy', { gate: gate('pending', [{ id: 'approvals', title: 'Approvals', state: 'pending', reason: '1 of 2', matched: [] }]) });
    expect(v).toEqual(refused('the gate is pending — Approvals: 1 of 2'));
  });

  it('a merged promotion whose deployment failed: a new deployment of the approved merge commit under its approving policy', async () => {
    const v = await decide('/stagegate deploy', {
      target: promotion({ state: 'closed', merged: true, mergeCommitSha: M2 }),
      approvals: [approval(M2)],
      heads: { production: M2 },
      deployments: { production: [deployment(40, M2, failed), deployment(39, M1, verified, 6)] },
    });
    expect(v).toMatchObject({
      kind: 'act',
      effect: {
        kind: 'redeploy',
        reason: 'retry',
        sha: M2,
        pullRequest: 7,
        replaces: 40,
        target: null,
        production: true,
        workflow: { file: 'stagegate-deploy.yml', ref: 'production' },
        payload: { merge_commit: M2, head: HEAD, base: BASE },
      },
    });
  });

  it('a merged promotion that bypassed the gate, is verified, is still running, or was superseded: refused', async () => {
    const merged = { target: promotion({ state: 'closed', merged: true, mergeCommitSha: M2 }), heads: { production: M2 } };
    expect(await decide('/stagegate deploy', { ...merged })).toEqual(refused('without a green gate'));
    expect(await decide('/stagegate deploy', { ...merged, approvals: [approval(M2)], deployments: { production: [deployment(40, M2, verified)] } })).toEqual(refused('nothing to do'));
    expect(
      await decide('/stagegate deploy', { ...merged, approvals: [approval(M2)], deployments: { production: [deployment(40, M2, { kind: 'pending', why: 'deployment 40 is in progress' })] } }),
    ).toEqual(refused('still under way'));
    expect(await decide('/stagegate deploy', { ...merged, heads: { production: M3 }, approvals: [approval(M2)] })).toEqual(refused('roll `production` back unannounced'));
    expect(await decide('/stagegate deploy', { target: promotion({ state: 'closed' }) })).toEqual(refused('closed without merging'));
  });

  it('windows and locks still apply to a new deployment', async () => {
    const merged = {
      target: promotion({ state: 'closed', merged: true, mergeCommitSha: M2 }),
      heads: { production: M2 },
      approvals: [approval(M2)],
      deployments: { production: [deployment(40, M2, failed)] },
    };
    expect(await decide('/stagegate deploy', { ...merged, locks: [LOCK] })).toEqual(refused('Lock: production is locked by @anna'));
    const saturday = new Date('2026-11-28T11:00:00Z');
    const facts = fakeCommandFacts({ ...merged, roles: ROLES, now: () => saturday });
    const v = await decideCommand({
      repository: 'acme/shop',
      comment: { id: 1, url: 'u', body: '/stagegate deploy', createdAt: '', author: { login: 'carol', type: 'User' }, issueNumber: 7 },
      facts,
      now: saturday,
      self: 'stagegate[bot]',
    });
    expect(v).toEqual(refused(/^Deploy windows?: /));
  });
});

describe('rollback', () => {
  const world = { deployments: { production: [deployment(42, M3, failed), deployment(41, M2, verified), deployment(40, M1, verified, 5)] } };

  it('to the newest verified deployment of another commit', async () => {
    expect(await decide('/stagegate rollback', world)).toMatchObject({
      kind: 'act',
      effect: { kind: 'redeploy', reason: 'rollback', sha: M2, replaces: 42, target: 41, payload: { merge_commit: M2 } },
    });
  });

  it('to a named one, by id or SHA prefix', async () => {
    expect(await decide('/stagegate rollback 40', world)).toMatchObject({ kind: 'act', effect: { sha: M1, target: 40, pullRequest: 5 } });
    expect(await decide('/stagegate rollback 1111111', world)).toMatchObject({ kind: 'act', effect: { sha: M1, target: 40 } });
  });

  it('never to a commit that was not verified in this stage', async () => {
    expect(await decide('/stagegate rollback 3333333', world)).toEqual(refused('was not verified in `production`'));
    const untrusted = { deployments: { production: [deployment(42, M3, failed), deployment(41, M2, { kind: 'untrusted', why: 'the success of deployment 41 links to no workflow run' })] } };
    expect(await decide('/stagegate rollback', untrusted)).toEqual(refused('no earlier deployment of `production` verified by evidence'));
    expect(await decide('/stagegate rollback 41', untrusted)).toEqual(refused('links to no workflow run'));
    expect(await decide('/stagegate rollback abcdef0', world)).toEqual(refused('matches “abcdef0”'));
  });

  it('not while a deployment is under way; allowed through a lock and outside windows', async () => {
    expect(await decide('/stagegate rollback', { deployments: { production: [deployment(43, M3, { kind: 'pending', why: 'queued' }), ...world.deployments.production] } })).toEqual(
      refused('still under way'),
    );
    expect(await decide('/stagegate rollback', { ...world, locks: [LOCK] })).toMatchObject({ kind: 'act' });
  });
});

describe('lock and unlock', () => {
  it('lock takes the PR’s stage, with reason and end; an id per comment makes a retry take nothing new', async () => {
    expect(await decide('/stagegate lock board demo --for 2h')).toMatchObject({
      kind: 'act',
      effect: { kind: 'lock', lock: { id: 'acme/shop:555', stage: 'production', holder: 'carol', reason: 'board demo', expiresAt: '2026-11-24T11:00:00.000Z', pullRequest: 7 } },
    });
  });

  it('refused while someone else holds it, and past locks.max_duration', async () => {
    expect(await decide('/stagegate lock --for 1h', { locks: [LOCK] })).toEqual(refused('already locked by @anna (“board demo”)'));
    expect(await decide('/stagegate lock')).toEqual(refused('add --for'));
    expect(await decide('/stagegate lock --for 8d')).toEqual(refused('longer than the 7d'));
  });

  it('unlock: by the holder or an admin', async () => {
    expect(await decide('/stagegate unlock', { locks: [LOCK] }, 'anna')).toMatchObject({ kind: 'act', effect: { kind: 'unlock', stage: 'production', holder: 'anna' } });
    expect(await decide('/stagegate unlock', { locks: [LOCK] }, 'carol')).toEqual(refused('held by @anna'));
    expect(await decide('/stagegate unlock')).toEqual(refused('`production` is not locked'));
  });
});

describe('break-glass and approve', () => {
  it('a member of a break_glass team breaks the glass for this head, owing a follow-up to the stage’s reviewers', async () => {
    const v = await decide('/stagegate break-glass checkout is down', {}, 'sam');
    expect(v).toMatchObject({
      kind: 'act',
      effect: {
        kind: 'break-glass',
        assignees: ['anna'],
        breakGlass: {
          id: 'acme/shop:555',
          by: 'sam',
          reason: 'checkout is down',
          headSha: HEAD,
          waive: ['signoff', 'windows', 'freeze'],
          followUp: { approvalsRequired: 2, deadline: '2026-11-25T09:00:00.000Z', reviewers: ['anna', '@acme/release-managers'] },
        },
      },
    });
  });

  it('anyone else, a second time for the same head, or a closed PR: refused', async () => {
    expect(await decide('/stagegate break-glass down', {}, 'carol')).toEqual(refused('not a member of a break_glass team'));
    const bg = { id: 'b', stage: 'production', pullRequest: 7, headSha: HEAD, by: 'sam', at: 't', reason: 'earlier' } as BreakGlass;
    expect(await decide('/stagegate break-glass again', { breakGlass: [bg] }, 'sam')).toEqual(refused('already broke the glass'));
    expect(await decide('/stagegate break-glass down', { target: promotion({ state: 'closed', merged: true }) }, 'sam')).toEqual(refused('is merged'));
  });

  it('approve on the follow-up: a reviewer, once, never the one who broke it', async () => {
    const bg: BreakGlass = {
      id: 'bg',
      repository: 'acme/shop',
      stage: 'production',
      pullRequest: 7,
      headSha: HEAD,
      by: 'sam',
      reason: 'down',
      at: NOW.toISOString(),
      waive: ['signoff'],
      commentUrl: null,
      followUp: { issueNumber: 12, issueUrl: 'u', approvalsRequired: 2, deadline: '2026-11-25T09:00:00.000Z', reviewers: ['anna', '@acme/release-managers'], approvals: [], overdueFlaggedAt: null },
    };
    const issue = { target: { kind: 'issue', number: 12, title: 'follow-up', state: 'open', followUp: bg, config } as CommentTarget };
    expect(await decide('/stagegate approve looks right', issue, 'tom')).toMatchObject({ kind: 'act', effect: { kind: 'approve', approval: { login: 'tom', note: 'looks right' } } });
    expect(await decide('/stagegate approve', issue, 'carol')).toEqual(refused('not one of this follow-up’s reviewers'));
    expect(await decide('/stagegate approve', { target: { ...issue.target, followUp: { ...bg, followUp: { ...bg.followUp, reviewers: ['sam', 'anna'] } } } as CommentTarget }, 'sam')).toEqual(
      refused('someone else must approve'),
    );
    const once = { ...bg, followUp: { ...bg.followUp, approvals: [{ login: 'tom', at: 't', commentUrl: null, note: null }] } };
    expect(await decide('/stagegate approve', { target: { ...issue.target, followUp: once } as CommentTarget }, 'tom')).toEqual(refused('already'));
  });
});
