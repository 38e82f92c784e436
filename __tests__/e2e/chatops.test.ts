import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { exportRows } from '../../src/audit/export-rows.js';
import type { ExportRow } from '../../src/audit/export-types.js';
import { openAuditStore } from '../../src/audit/open.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { ci, createShopRepo, demoConfig, gateCheck, startWorld, verdictOf, type World } from '../../sandbox/story.js';
import type { CommentState, PullState } from '../../sandbox/state.js';

// ChatOps (#12) against the real app server, the real Action and the sandbox: commands in comments
// on promotion PRs, permission-checked with GitHub's answer, replied to once, and audited.

const repo = 'acme/ops';
let world: World;

beforeAll(async () => {
  world = await startWorld();
  const { sb } = world;
  sb.createUser({ login: 'dave', name: 'Dave Reader', email: 'dave@acme.test' });
  sb.createUser({ login: 'erin', name: 'Erin SRE', email: 'erin@acme.test' });
  sb.createTeam('acme', { slug: 'sre', members: ['erin'] });
  const policy =
    demoConfig(world.staging, world.production, world.prom) + 'break_glass:\n  teams: ["@acme/sre"]\n  stages: [staging]\n  follow_up:\n    approvals: 1\n    deadline: 1h\n    reviewers: [carol]\n';
  await createShopRepo(world, 'ops', policy);
  sb.addCollaborator(repo, 'dave', 'read');
  sb.addCollaborator(repo, 'erin', 'write');
}, 150_000);

afterAll(async () => {
  await world?.stop();
}, 60_000);

afterEach(() => {
  expect(world.sb.violations).toEqual([]);
});

const bot = (): string => `${world.sb.app.slug}[bot]`;

/** Posts `body` as `user` on issue or PR `n` and waits for Stagegate's one reply to it. */
async function command(n: number, user: string, body: string, timeoutMs = 60_000): Promise<{ comment: CommentState; reply: CommentState }> {
  const { sb } = world;
  const comment = await sb.comment(repo, n, user, body);
  const reply = await sb.waitFor(() => replyTo(comment), timeoutMs, `the reply to ${user}'s ${body}`);
  return { comment, reply };
}

function replyTo(c: CommentState): CommentState | null {
  return [...world.sb.repo(repo).comments.values()].find((x) => x.user.login === bot() && x.body.includes(`<!-- stagegate:reply:${c.id} -->`)) ?? null;
}

async function records(kind: string): Promise<AuditRecord[]> {
  const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
  try {
    const out: AuditRecord[] = [];
    for await (const r of store.records(repo)) if (r.kind === kind) out.push(r);
    return out;
  } finally {
    await store.close();
  }
}

async function rows(): Promise<ExportRow[]> {
  const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
  try {
    const out: ExportRow[] = [];
    for await (const row of exportRows(store, { repository: repo })) out.push(row);
    return out;
  } finally {
    await store.close();
  }
}

/** Waits for the newest stagegate check on `sha` to satisfy `pred` (verdict and title). */
async function gate(sha: string, pred: (verdict: string, title: string) => boolean, what: string, timeoutMs = 60_000) {
  return world.sb.waitFor(
    () => {
      const c = gateCheck(world.sb, sha, repo);
      return c && pred(verdictOf(c), c.output.title ?? '') ? c : null;
    },
    timeoutMs,
    what,
  );
}

async function deployRun(environment: string, before: Set<number>, sha?: string) {
  return world.sb.waitForWorkflowRun((r) => r.repo === repo && !before.has(r.id) && r.inputs.environment === environment && (!sha || r.inputs.sha === sha) && r.status === 'completed', 180_000);
}

/** Polls an async probe (records are read from the app's store) until it answers. */
async function poll<T>(probe: () => Promise<T | null | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const runIds = (): Set<number> => new Set(world.sb.runner.runs.map((r) => r.id));

let staging: PullState;
/** The merge commit the break-glass promotion deployed to staging. */
let breakGlassMerge = '';

describe('deploy by command', () => {
  it('a reader is refused with a reply; a writer’s /stagegate deploy merges the green promotion and the merge deploys it', async () => {
    const { sb } = world;
    await sb.push(repo, { branch: 'master', files: { 'src/search.ts': 'export const search = 1;\n' }, message: 'feat: search', author: 'alice' });
    staging = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: 'Promote master → staging', user: 'alice' });
    await ci(sb, staging.headSha, repo);
    await sb.review({ repo, pr: staging.number, user: 'carol', event: 'APPROVE', commitId: staging.headSha });
    await gate(staging.headSha, (v) => v === 'success', 'a green staging gate');

    const refused = await command(staging.number, 'dave', '/stagegate deploy');
    expect(refused.comment.reactions.map((r) => [r.user.login, r.content])).toContainEqual([bot(), 'eyes']);
    expect(refused.reply.body).toContain('Not done');
    expect(refused.reply.body).toMatch(/read/);
    expect(staging.merged).toBe(false);

    const before = runIds();
    const ok = await command(staging.number, 'bob', '/stagegate deploy');
    expect(ok.reply.body).toContain('Merged');
    expect(staging.merged).toBe(true);
    expect(staging.mergedBy?.login).toBe(bot());
    const run = await deployRun('staging', before, staging.mergeCommitSha ?? '');
    expect(run.conclusion).toBe('success');
    await sb.settled();
    const cmds = await records('command');
    expect(cmds.map((r) => [r.actor, r.details.command, r.details.outcome])).toEqual([
      ['dave', 'deploy', 'refused'],
      ['bob', 'deploy', 'done'],
    ]);
    expect(cmds[1]?.details.commentUrl).toBe(`${sb.bases.web}/${repo}/pull/${staging.number}#issuecomment-${ok.comment.id}`);
    // Exactly one reply per command.
    expect([...sb.repo(repo).comments.values()].filter((c) => c.body.includes(`stagegate:reply:${ok.comment.id}`))).toHaveLength(1);
  }, 300_000);

  it('an edited comment runs nothing, and a redelivered command runs once', async () => {
    const { sb } = world;
    const c = await sb.comment(repo, staging.number, 'bob', 'Looks good to me.');
    await sb.editComment(repo, c.id, 'bob', '/stagegate lock sneaky');
    await sb.settled();
    await new Promise((r) => setTimeout(r, 1500));
    await sb.settled();
    expect(replyTo(c)).toBeNull();
    expect(c.reactions).toEqual([]);
    expect((await records('lock.taken')).length).toBe(0);

    const status = await command(staging.number, 'bob', '/stagegate status');
    expect(status.reply.body).toContain('| `staging` |');
    const delivery = [...sb.deliveries].reverse().find((d) => d.event === 'issue_comment' && (d.payload as { comment?: { id?: number } }).comment?.id === status.comment.id);
    expect(delivery).toBeDefined();
    sb.redeliver(delivery!.id);
    await sb.settled();
    await new Promise((r) => setTimeout(r, 1000));
    expect((await records('command')).filter((r) => r.details.commentId === status.comment.id)).toHaveLength(1);
    expect([...sb.repo(repo).comments.values()].filter((x) => x.body.includes(`stagegate:reply:${status.comment.id}`))).toHaveLength(1);
  }, 120_000);
});

describe('locks on production', () => {
  let production: PullState;

  it('a lock with a reason turns the production gate pending naming the holder; unlock turns it green', async () => {
    const { sb } = world;
    production = await sb.openPullRequest({ repo, head: 'staging', base: 'production', title: 'Promote staging → production', user: 'alice' });
    await ci(sb, production.headSha, repo);
    await sb.review({ repo, pr: production.number, user: 'carol', event: 'APPROVE', commitId: production.headSha });
    await gate(production.headSha, (v) => v === 'success', 'a green production gate', 90_000);

    const locked = await command(production.number, 'bob', '/stagegate lock customer demo until noon');
    expect(locked.reply.body).toContain('Locked `production`');
    const pending = await gate(production.headSha, (v, t) => v !== 'success' && /lock/i.test(`${t}`), 'the gate pending on the lock');
    expect(`${pending.output.title} ${pending.output.summary} ${pending.output.text}`).toContain('bob');
    expect(`${pending.output.summary} ${pending.output.text}`).toContain('customer demo until noon');

    const dave = await command(production.number, 'dave', '/stagegate unlock');
    expect(dave.reply.body).toContain('Not done');
    const unlocked = await command(production.number, 'bob', '/stagegate unlock');
    expect(unlocked.reply.body).toContain('Unlocked `production`');
    await gate(production.headSha, (v) => v === 'success', 'the gate green after unlock');
    const [taken] = await records('lock.taken');
    expect(taken?.details).toMatchObject({ holder: 'bob', reason: 'customer demo until noon', commentUrl: expect.stringContaining(`#issuecomment-${locked.comment.id}`) });
    const [released] = await records('lock.released');
    expect(released?.details).toMatchObject({ how: 'unlocked', by: 'bob', commentUrl: expect.stringContaining(`#issuecomment-${unlocked.comment.id}`) });
  }, 240_000);

  it('a lock --for 1s expires by itself: the app records its end, and the gate is green, with no webhook', async () => {
    const { sb } = world;
    const locked = await command(production.number, 'bob', '/stagegate lock quick check --for 1s');
    expect(locked.reply.body).toContain('Locked `production`');
    const deliveries = sb.deliveries.length;
    const released = await poll(async () => (await records('lock.released')).find((r) => r.details.how === 'expired'), 30_000, 'the expiry recorded');
    expect(released.details).toMatchObject({ holder: 'bob', reason: 'quick check', commentUrl: expect.stringContaining(`#issuecomment-${locked.comment.id}`) });
    const [taken] = (await records('lock.taken')).filter((r) => r.details.lockId === released.details.lockId);
    expect(Date.parse(String(taken?.details.expiresAt)) - Date.parse(String(taken?.at))).toBe(1000);
    await gate(production.headSha, (v) => v === 'success', 'the gate green after the lock expired', 30_000);
    // Nothing a person did reached the app in between: the app settled the end by itself.
    const byPeople = (from: number) =>
      sb.deliveries.slice(from).filter((d) => (d.payload as { sender?: { login?: string } }).sender?.login !== bot() && d.event !== 'check_run' && d.event !== 'check_suite');
    expect(byPeople(deliveries)).toEqual([]);
  }, 120_000);

  it('a lock --for 15s holds the gate pending, then the gate turns green by itself when it ends', async () => {
    const { sb } = world;
    const mark = Math.max(0, ...[...sb.repo(repo).checkRuns.keys()]);
    const locked = await command(production.number, 'bob', '/stagegate lock fifteen seconds --for 15s');
    expect(locked.reply.body).toContain('Locked `production`');
    const pending = await sb.waitFor(
      () => sb.checkRunsFor(repo, production.headSha).find((c) => c.name === 'stagegate' && c.id > mark && verdictOf(c) !== 'success' && /lock/i.test(c.output.title ?? '')) ?? null,
      30_000,
      'the gate pending on the lock',
    );
    const deliveries = sb.deliveries.length;
    const green = await gate(production.headSha, (v) => v === 'success', 'the gate green after the lock ended', 30_000);
    expect(green.id).toBeGreaterThan(pending.id);
    const people = sb.deliveries.slice(deliveries).filter((d) => (d.payload as { sender?: { login?: string } }).sender?.login !== bot() && d.event !== 'check_run' && d.event !== 'check_suite');
    expect(people).toEqual([]);
  }, 120_000);

  it('merging during a lock is recorded as a bypass and deploys nothing', async () => {
    const { sb } = world;
    await command(production.number, 'carol', '/stagegate lock release freeze');
    await gate(production.headSha, (v) => v !== 'success', 'the gate pending on the lock');
    const before = runIds();
    const deployments = sb.deploymentsOf(repo).length;
    await sb.merge(repo, production.number, 'alice');
    await poll(async () => (await records('merge.bypassed')).find((r) => r.pullRequest === production.number), 30_000, 'the bypass record');
    await sb.settled();
    await new Promise((r) => setTimeout(r, 1500));
    expect(sb.deploymentsOf(repo).length).toBe(deployments);
    expect(sb.runner.runs.filter((r) => !before.has(r.id))).toEqual([]);
    const [bypass] = (await records('merge.bypassed')).filter((r) => r.pullRequest === production.number);
    expect(JSON.stringify(bypass?.details.reasons)).toContain('carol');
    expect((await rows()).find((r) => r.kind === 'bypass' && r.pullRequest === production.number)?.bypass).toBe(true);
    const unlocked = await command(production.number, 'carol', '/stagegate unlock');
    expect(unlocked.reply.body).toContain('Unlocked');
  }, 120_000);
});

describe('break-glass', () => {
  it('break-glass deploys with its banner, opens the follow-up issue, and the export shows both', async () => {
    const { sb } = world;
    await sb.push(repo, { branch: 'master', files: { 'src/hotfix.ts': 'export const hotfix = 1;\n' }, message: 'fix: checkout outage', author: 'alice' });
    const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: 'Promote master → staging', user: 'alice' });
    await ci(sb, pr.headSha, repo);
    await gate(pr.headSha, (v) => v !== 'success', 'the gate waiting for sign-off');

    const bob = await command(pr.number, 'bob', '/stagegate break-glass not on the team');
    expect(bob.reply.body).toContain('Not done');
    const { reply } = await command(pr.number, 'erin', '/stagegate break-glass checkout is down for everyone');
    expect(reply.body).toContain('BREAK-GLASS');
    const check = await gate(pr.headSha, (v, t) => v === 'success' && t.startsWith('BREAK-GLASS'), 'the BREAK-GLASS gate');
    expect(check.output.title).toContain('BREAK-GLASS');
    const issue = await sb.waitFor(() => [...sb.repo(repo).issues.values()][0] ?? null, 10_000, 'the follow-up issue');
    expect(issue.assignees.map((a) => a.login)).toEqual(['carol']);
    expect(issue.user.login).toBe(bot());
    expect(issue.body).toContain('checkout is down for everyone');

    const before = runIds();
    const deployed = await command(pr.number, 'erin', '/stagegate deploy');
    expect(deployed.reply.body).toContain('Merged');
    const run = await deployRun('staging', before, pr.mergeCommitSha ?? '');
    expect(run.conclusion).toBe('success');
    breakGlassMerge = pr.mergeCommitSha ?? '';
    await sb.settled();
    const gateComment = [...sb.repo(repo).comments.values()].find((c) => c.issueNumber === pr.number && c.user.login === bot() && c.body.includes('BREAK-GLASS') && c.body.includes('Stagegate:'));
    expect(gateComment).toBeDefined();

    const erinApproves = await command(issue.number, 'erin', '/stagegate approve');
    expect(erinApproves.reply.body).toContain('Not done');
    const approved = await command(issue.number, 'carol', '/stagegate approve reviewed the diff');
    expect(approved.reply.body).toContain('Break-glass approved');
    expect(issue.state).toBe('closed');

    const all = await rows();
    const row = all.find((r) => r.kind === 'deployment' && r.sha === pr.mergeCommitSha);
    expect(row?.breakGlass).toMatchObject({
      by: 'erin',
      reason: 'checkout is down for everyone',
      issueUrl: expect.stringContaining(`/issues/${issue.number}`),
      approvals: ['carol'],
      state: 'approved',
    });
    const commandRows = all.filter((r) => r.kind === 'command');
    expect(commandRows.map((r) => [r.command?.name, r.command?.by, r.command?.outcome])).toEqual(
      expect.arrayContaining([
        ['break-glass', 'bob', 'refused'],
        ['break-glass', 'erin', 'done'],
        ['approve', 'carol', 'done'],
        ['lock', 'bob', 'done'],
        ['unlock', 'bob', 'done'],
      ]),
    );
    expect(commandRows.every((r) => (r.command?.commentUrl ?? '').includes('#issuecomment-'))).toBe(true);
    expect(all.some((r) => r.kind === 'lock-expired')).toBe(true);
  }, 300_000);
});

describe('rollback by command', () => {
  it('rollback redeploys the previous verified commit of the stage and reports it', async () => {
    const { sb } = world;
    // What runs now is the break-glass promotion; the one before it is the first staging promotion, verified.
    const current = breakGlassMerge;
    const previous = staging.mergeCommitSha!;
    const before = runIds();
    const { reply } = await command(staging.number, 'bob', '/stagegate rollback');
    expect(reply.body).toContain('Rolling back `staging`');
    expect(reply.body).toContain(previous.slice(0, 7));
    expect(reply.body).not.toContain(current.slice(0, 7) + '`');
    const run = await deployRun('staging', before, previous);
    expect(run.conclusion).toBe('success');
    await sb.settled();
    const running = (await (await fetch(`${world.staging.url}/version`)).json()) as { version: string };
    expect(running.version).toBe(previous);
    const [rb] = (await records('rollback')).filter((r) => r.details.by === 'bob');
    expect(rb?.details).toMatchObject({ sha: previous, commentUrl: expect.stringContaining('#issuecomment-') });
    const row = (await rows()).find((r) => r.kind === 'deployment' && r.deploymentId === String(rb?.details.rollbackDeploymentId));
    expect(row?.sha).toBe(previous);
    expect(row?.command).toMatchObject({ name: 'rollback', by: 'bob' });
    expect(row?.verification?.result).toBe('success');
    const cmd = (await rows()).find((r) => r.kind === 'command' && r.command?.name === 'rollback');
    expect(cmd?.command).toMatchObject({ by: 'bob', outcome: 'done', commentUrl: expect.stringContaining('#issuecomment-') });
  }, 240_000);
});
