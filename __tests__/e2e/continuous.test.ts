import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { exportRows } from '../../src/audit/export-rows.js';
import { openAuditStore } from '../../src/audit/open.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { ci, createShopRepo, demoConfig, startWorld, type World } from '../../sandbox/story.js';
import { startApp, type AppProcess } from '../../sandbox/stack.js';
import type { PullState } from '../../sandbox/state.js';

// Continuous promotion (#13) against the real app server, the real Action and the sandbox: standing
// promotion PRs, a self-merging stage, Releases of verified production deploys, deploy duty.

let world: World;
let second: AppProcess | null = null;
let fanout: Server | null = null;

beforeAll(async () => {
  world = await startWorld();
  world.sb.createTeam('acme', { slug: 'web', members: ['bob'] });
  world.sb.createTeam('acme', { slug: 'payments', members: ['carol'] });
}, 150_000);

afterAll(async () => {
  fanout?.close();
  await second?.stop();
  await world?.stop();
}, 60_000);

afterEach(() => {
  expect(world.sb.violations).toEqual([]);
});

const bot = (): string => `${world.sb.app.slug}[bot]`;

/** The demo policy with extra keys for the staging stage (and top-level ones). */
function policy(staging: string, top = ''): string {
  const base = demoConfig(world.staging, world.production, world.prom);
  return base.replace('    from: master\n', `    from: master\n${staging}`) + top;
}

async function records(repo: string, kind: string): Promise<AuditRecord[]> {
  const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
  try {
    const out: AuditRecord[] = [];
    for await (const r of store.records(repo)) if (r.kind === kind) out.push(r);
    return out;
  } finally {
    await store.close();
  }
}

/** The open PRs `head → base` of a repository. */
function openPulls(repo: string, head: string, base: string): PullState[] {
  return [...world.sb.repo(repo).pulls.values()].filter((p) => p.state === 'open' && p.headRef === head && p.baseRef === base);
}

/** A feature branch with one commit, merged into master as a PR with labels; returns the PR number and the merge. */
async function feature(repo: string, branch: string, file: string, title: string, labels: string[], method: 'merge' | 'squash' | 'rebase' = 'merge'): Promise<{ number: number; merge: string }> {
  const { sb } = world;
  await sb.createBranch(repo, branch, 'master');
  await sb.push(repo, { branch, files: { [file]: `// ${title}\n` }, message: title, author: 'alice' });
  const pr = await sb.openPullRequest({ repo, head: branch, base: 'master', title, user: 'alice' });
  if (labels.length) sb.addLabels(repo, pr.number, labels);
  const merge = await sb.merge(repo, pr.number, 'bob', { method });
  await ci(sb, merge, repo);
  return { number: pr.number, merge };
}

/** Waits for a completed deploy run of `environment` that started after `before`. */
async function deployRun(repo: string, environment: string, before: Set<number>) {
  return world.sb.waitForWorkflowRun((r) => r.repo === repo && !before.has(r.id) && r.inputs.environment === environment && r.status === 'completed', 180_000);
}

describe('standing promotion PRs', () => {
  it('a push to master opens the staging promotion PR with the pending changes; a second push updates the same PR', async () => {
    const { sb } = world;
    const repo = 'acme/flow';
    await createShopRepo(world, 'flow', policy('    promotion_pr: open\n', 'release_notes:\n  categories:\n    - { title: Features, labels: [feature] }\n'));
    const cart = await feature(repo, 'feature/cart', 'src/cart-ui.ts', 'Cart page', ['feature']);
    const pr = await sb.waitFor(() => openPulls(repo, 'master', 'staging')[0] ?? null, 30_000, 'the standing PR');
    expect(pr.user.login).toBe(bot());
    expect(pr.title).toBe('Promote master → staging');
    await sb.waitFor(() => (pr.body ?? '').includes(`Cart page (#${cart.number}) — alice`) || null, 30_000, 'the pending change in the body');
    expect(pr.body).toContain('#### Features');
    expect(pr.body).toContain('/compare/');
    expect(pr.body).not.toContain('@alice');

    const direct = await sb.push(repo, { branch: 'master', files: { 'src/fix.ts': 'export const fix = 1;\n' }, message: 'fix: rounding, pushed directly', author: 'alice' });
    await sb.waitFor(() => (pr.body ?? '').includes('fix: rounding, pushed directly') || null, 30_000, 'the body updated by the second push');
    expect(pr.body).toContain(`Cart page (#${cart.number})`);
    expect(pr.body).toContain(direct.slice(0, 7));
    await sb.settled();
    expect(openPulls(repo, 'master', 'staging').map((p) => p.number)).toEqual([pr.number]);
    const opened = await records(repo, 'promotion.opened');
    expect(opened.map((r) => r.details.pullRequest)).toEqual([pr.number]);
  }, 120_000);

  it('two app processes receiving the same push open exactly one PR', async () => {
    const { sb } = world;
    const repo = 'acme/twin';
    await createShopRepo(world, 'twin', policy('    promotion_pr: open\n'));
    second = await startApp(sb);
    const first = world.stack.app.webhookUrl;
    const answers: number[] = [];
    // Pushes go to both processes at once; every other event to the first only (each process has its own embedded store).
    fanout = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-') || k === 'content-type' || k === 'user-agent')) as Record<string, string>;
        const targets = req.headers['x-github-event'] === 'push' ? [first, second!.webhookUrl] : [first];
        void Promise.all(targets.map((u) => fetch(u, { method: 'POST', headers, body }).then((r) => r.status))).then((statuses) => {
          if (targets.length === 2) answers.push(...statuses);
          res.writeHead(statuses[0] ?? 500).end();
        });
      });
    });
    await new Promise<void>((r) => fanout!.listen(0, '127.0.0.1', r));
    sb.webhookUrl = `http://127.0.0.1:${(fanout.address() as AddressInfo).port}/`;
    const mark = sb.ledger.mark();
    try {
      await sb.push(repo, { branch: 'master', files: { 'src/twin.ts': 'export const twin = 2;\n' }, message: 'feat: twin', author: 'alice' });
      await sb.waitFor(() => openPulls(repo, 'master', 'staging')[0] ?? null, 30_000, 'the standing PR');
      await sb.settled();
      await new Promise((r) => setTimeout(r, 2000));
      await sb.settled();
    } finally {
      sb.webhookUrl = first;
    }
    expect(answers.length).toBeGreaterThanOrEqual(2);
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(openPulls(repo, 'master', 'staging')).toHaveLength(1);
    // Probot answers a delivery after its handler ran (an error answers 500): both processes handled the push; one PR was created.
    expect(sb.ledger.since(mark, (e) => e.method === 'POST' && e.route === '/repos/{owner}/{repo}/pulls' && e.status === 201)).toHaveLength(1);
  }, 120_000);
});

describe('a self-merging stage', () => {
  it('a docs-only range merges, deploys and verifies with no human', async () => {
    const { sb } = world;
    const repo = 'acme/docs';
    await createShopRepo(world, 'docs', policy('    promotion_pr: open\n    auto_merge: true\n'));
    const before = new Set(sb.runner.runs.map((r) => r.id));
    const head = await sb.push(repo, { branch: 'master', files: { 'docs/guide.md': '# Guide\n' }, message: 'docs: a guide', author: 'alice' });
    await ci(sb, head, repo);
    const pr = await sb.waitFor(() => [...sb.repo(repo).pulls.values()].find((p) => p.headRef === 'master' && p.baseRef === 'staging') ?? null, 30_000, 'the standing PR');
    const run = await deployRun(repo, 'staging', before);
    expect(run.conclusion).toBe('success');
    expect(pr.merged).toBe(true);
    expect(pr.mergedBy?.login).toBe(bot());
    expect(sb.repo(repo).reviews.size).toBe(0);
    await sb.settled();
    const d = sb.deploymentsOf(repo).find((x) => x.environment === 'staging' && x.sha === pr.mergeCommitSha);
    expect(d?.statuses.map((s) => s.state)).toContain('success');
    const [auto] = await records(repo, 'promotion.auto_merged');
    expect(auto?.details).toMatchObject({ pullRequest: pr.number, headSha: head, via: 'app', policy: { ref: 'staging', path: '.github/stagegate.yml' } });
    expect(String(auto?.details.why)).toContain('no manual sign-off');
    const [approved] = await records(repo, 'merge.approved');
    expect(approved).toMatchObject({ actor: bot(), pullRequest: pr.number });
  }, 240_000);

  it('a code change on the same stage waits for a person, and is not merged by Stagegate', async () => {
    const { sb } = world;
    const repo = 'acme/docs';
    const head = await sb.push(repo, { branch: 'master', files: { 'src/code.ts': 'export const code = 1;\n' }, message: 'feat: code', author: 'alice' });
    await ci(sb, head, repo);
    const pr = await sb.waitFor(() => openPulls(repo, 'master', 'staging')[0] ?? null, 30_000, 'the next standing PR');
    await sb.waitFor(() => [...sb.repo(repo).checkRuns.values()].find((c) => c.headSha === head && c.name === 'stagegate') ?? null, 30_000, 'the gate');
    await sb.settled();
    expect(pr.merged).toBe(false);
    expect((await records(repo, 'promotion.auto_merged')).filter((r) => r.headSha === head)).toEqual([]);
  }, 120_000);
});

/** Opens the promotion `from → branch`, CI on its head, carol approves, the gate turns green, bob merges; waits for the deploy run. */
async function promote(repo: string, from: string, branch: string, environment: string) {
  const { sb } = world;
  const pr = await sb.openPullRequest({ repo, head: from, base: branch, title: `Promote ${from} → ${branch}`, user: 'alice' });
  await ci(sb, pr.headSha, repo);
  await sb.review({ repo, pr: pr.number, user: 'carol', event: 'APPROVE', commitId: pr.headSha });
  await sb.waitFor(
    () => {
      const c = [...sb.repo(repo).checkRuns.values()].filter((x) => x.headSha === pr.headSha && x.name === 'stagegate').sort((a, b) => b.id - a.id)[0];
      return c?.conclusion === 'success' ? c : null;
    },
    90_000,
    `a green gate on ${repo}#${pr.number}`,
  );
  const before = new Set(sb.runner.runs.map((r) => r.id));
  await sb.merge(repo, pr.number, 'bob');
  const run = await deployRun(repo, environment, before);
  await sb.settled();
  return { pr, run };
}

describe('Releases of verified production deploys', () => {
  const repo = 'acme/rel';
  it('production deploy + verification publishes one Release whose notes list the merged PRs by category and exclude promotion PRs', async () => {
    const { sb } = world;
    await createShopRepo(world, 'rel', policy('', 'release_notes:\n  categories:\n    - { title: Features, labels: [feature] }\n    - { title: Fixes, labels: [bug] }\n'));
    const cart = await feature(repo, 'feature/cart', 'src/cart-ui.ts', 'Cart page', ['feature']);
    const fix = await feature(repo, 'fix/totals', 'src/totals.ts', 'Fix totals', ['bug'], 'squash');
    const staging = await promote(repo, 'master', 'staging', 'staging');
    expect(staging.run.conclusion).toBe('success');
    expect(sb.repo(repo).releases.size).toBe(0); // staging is not the final stage: no Release
    const production = await promote(repo, 'staging', 'production', 'production');
    expect(production.run.conclusion).toBe('success');
    const release = await sb.waitFor(() => [...sb.repo(repo).releases.values()][0] ?? null, 30_000, 'the Release');
    await sb.settled();
    expect(sb.repo(repo).releases.size).toBe(1);
    expect(release.tagName).toMatch(/^production-\d{4}-\d{2}-\d{2}\.1$/);
    expect(release.author.login).toBe(bot());
    const body = release.body ?? '';
    expect(body).toContain(`### Features\n\n- Cart page (#${cart.number}) — alice`);
    expect(body).toContain(`### Fixes\n\n- Fix totals (#${fix.number}) — alice`);
    expect(body).not.toContain(`#${staging.pr.number})`);
    expect(body).not.toContain('Promote master');
    expect(body).not.toContain('@alice');
    expect(body).toContain(`Promotion #${production.pr.number}`);
    const deployment = sb.deploymentsOf(repo).find((d) => d.environment === 'production' && d.sha === production.pr.mergeCommitSha);
    expect(body).toContain(`deployment ${deployment?.id}`);
    expect(await sb.repo(repo).git.resolve(`refs/tags/${release.tagName}`)).toBe(production.pr.mergeCommitSha);
    const [published] = await records(repo, 'release.published');
    expect(published?.details).toMatchObject({ tag: release.tagName, deploymentId: deployment?.id, pullRequests: [cart.number, fix.number] });
    // The auditor's export names the Release on the deployment's row.
    const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
    try {
      const rows = [];
      for await (const row of exportRows(store, { repository: repo })) rows.push(row);
      const row = rows.find((r) => r.deploymentId === String(deployment?.id));
      expect(row?.release).toMatchObject({ tag: release.tagName, url: expect.stringContaining(`/releases/tag/${release.tagName}`) });
      expect(rows.filter((r) => r.stage === 'staging').every((r) => r.release === null)).toBe(true);
    } finally {
      await store.close();
    }
  }, 420_000);

  it('a rolled-back production deploy publishes none, and the next verified one covers its changes', async () => {
    const { sb } = world;
    world.productionBreaksNewReleases = true;
    let broken: { number: number };
    try {
      broken = await feature(repo, 'feature/search', 'src/search.ts', 'Search', ['feature']);
      await promote(repo, 'master', 'staging', 'staging');
      const bad = await promote(repo, 'staging', 'production', 'production');
      expect(bad.run.outputs.result).toBe('rolled_back');
    } finally {
      world.productionBreaksNewReleases = false;
    }
    await sb.settled();
    // The rollback target was redeployed while new releases misbehaved, so it misbehaves too: make it healthy again
    // and let the 5xx ratio's 4 s window pass, so the next deploy is judged on its own requests.
    const running = (await (await fetch(`${world.production.url}/version`)).json()) as { version: string };
    world.production.deploy({ version: running.version, errorRatio: 0 });
    await new Promise((r) => setTimeout(r, 6000));
    expect(sb.repo(repo).releases.size).toBe(1);
    const later = await feature(repo, 'feature/wishlist', 'src/wishlist.ts', 'Wishlist', ['feature']);
    await promote(repo, 'master', 'staging', 'staging');
    const good = await promote(repo, 'staging', 'production', 'production');
    expect([good.run.conclusion, good.run.outputs['reason-code']]).toEqual(['success', 'ok']);
    const second = await sb.waitFor(() => [...sb.repo(repo).releases.values()].find((r) => r.tagName.endsWith('.2')) ?? null, 30_000, 'the second Release');
    expect(second.body).toContain(`Search (#${broken.number})`);
    expect(second.body).toContain(`Wishlist (#${later.number})`);
    expect(second.body).not.toContain('Cart page');
  }, 600_000);
});

describe('deploy-duty rotation', () => {
  it('the team on duty this week is requested, and the next week’s team after the hand-over instant in Europe/Berlin, across a DST change', async () => {
    const { sb } = world;
    const repo = 'acme/duty';
    const zone = 'Europe/Berlin';
    // A weekly rotation whose next hand-over is in 25 s, started enough weeks ago that a DST change lies in between.
    const handover = DateTime.now().setZone(zone).plus({ seconds: 25 }).startOf('second');
    let weeks = 6;
    while (handover.minus({ weeks }).offset === handover.offset && weeks < 40) weeks++;
    const start = handover.minus({ weeks });
    expect(start.offset).not.toBe(handover.offset);
    const teams = ['@acme/web', '@acme/payments'];
    const before = teams[(weeks - 1) % 2]!;
    const after = teams[weeks % 2]!;
    await createShopRepo(world, 'duty', policy('', `rotation:\n  teams: ["@acme/web", "@acme/payments"]\n  period: 1w\n  start: "${start.toFormat("yyyy-LL-dd'T'HH:mm:ss")}"\n  timezone: ${zone}\n`));
    await sb.push(repo, { branch: 'master', files: { 'src/duty.ts': 'export const duty = 1;\n' }, message: 'feat: duty', author: 'alice' });
    const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: 'Promote master → staging', user: 'alice' });
    await sb.waitFor(() => (pr.requestedTeams.some((t) => `@acme/${t.slug}` === before) ? true : null), 30_000, `a review request for ${before}`);
    expect(pr.requestedTeams.map((t) => `@acme/${t.slug}`)).toEqual([before]);
    const comment = await sb.waitFor(() => [...sb.repo(repo).comments.values()].find((c) => c.issueNumber === pr.number && c.body.includes('On deploy duty')) ?? null, 30_000, 'the duty line');
    expect(comment.body).toContain(`**On deploy duty:** \`${before}\``);
    expect(comment.body).toContain(`next hand-over ${handover.toFormat('yyyy-LL-dd HH:mm')}`);
    const wait = handover.toMillis() + 1500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await sb.push(repo, { branch: 'master', files: { 'src/duty.ts': 'export const duty = 2;\n' }, message: 'feat: duty 2', author: 'alice' });
    await sb.waitFor(() => (pr.requestedTeams.some((t) => `@acme/${t.slug}` === after) ? true : null), 30_000, `a review request for ${after}`);
    let requested: AuditRecord[] = [];
    for (let i = 0; i < 50 && requested.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 200));
      requested = await records(repo, 'duty.requested');
    }
    expect(requested.map((r) => [r.details.team, r.details.outcome])).toEqual([
      [before, 'requested'],
      [after, 'requested'],
    ]);
    expect(requested[1]?.details.since).toBe(handover.toUTC().toISO());
  }, 120_000);
});
