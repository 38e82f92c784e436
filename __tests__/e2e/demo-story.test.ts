import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startStory, startStoryWorld, STORY_STEPS, type StoryRun, type World } from '../../sandbox/story.js';
import type { ExportRow } from '../../src/audit/export.js';
import { openAuditStore } from '../../src/audit/open.js';
import { rehashedRewriteSql } from '../audit/stores.js';
import { runBin } from '../cli/run.js';

// The story of `npm run demo`, end to end: the sandbox stands in for GitHub over HTTP, the real app
// server (lib/app/server.js) receives signed webhooks, the real Action bundle (dist/index.js) runs as
// the deploy workflow, two demo services are scraped by a real Prometheus.

let world: World;
let story: StoryRun;
let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'stagegate-e2e-demo-'));
  world = await startStoryWorld();
  story = startStory(world, { outDir, narrate: () => undefined });
}, 150_000);

afterAll(async () => {
  await world?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
}, 60_000);

describe('the demo story', () => {
  // One test per narrated step, in story order, sharing one world (a failed step skips the rest).
  for (const def of STORY_STEPS) {
    it(
      def.title,
      async () => {
        const step = await story.play(def);
        expect(step.error ?? null).toBeNull();
        expect(step.ok).toBe(true);
      },
      240_000,
    );
  }

  it('wrote the HTML transcript with the standing PR, the rollback and the Release, and made zero contract violations', async () => {
    const result = await story.finish();
    expect(result.steps).toHaveLength(STORY_STEPS.length);
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    const html = await readFile(result.htmlFile ?? '', 'utf8');
    expect(html).toContain('Promote master → staging');
    expect(html).toContain('Promote staging to production');
    expect(html).toContain('stagegate');
    expect(html).toMatch(/rolled back/i);
    const release = [...world.sb.repo('acme/shop').releases.values()][0];
    expect(html).toContain(release?.tagName ?? 'no Release');
    expect(world.production.release().version).toBe(await world.sb.repo('acme/shop').git.branchSha('production'));
  }, 60_000);

  it('leaves an audit trail whose export matches what happened on GitHub, anchored there against a rewrite', async () => {
    const { sb } = world;
    const REPO = 'acme/shop';
    const r = sb.repo(REPO);
    const dataDir = world.stack.app.dataDir;
    const store = ['--data-dir', dataDir];
    const github = { GITHUB_TOKEN: sb.tokenFor('carol'), GITHUB_API_URL: sb.apiUrl };

    const anchored = await runBin(['audit', 'verify', '--anchors', '--repo', REPO, ...store], github);
    expect(anchored.stdout).toMatch(/^anchored acme\/shop: \d+ anchor\(s\) on GitHub match the stored chain/m);
    expect(anchored.code).toBe(0);

    const exported = await runBin(['audit', 'export', '--repo', REPO, '--format', 'json', ...store]);
    expect(exported.code).toBe(0);
    const all = JSON.parse(exported.stdout) as ExportRow[];
    // The ChatOps chapter's commands are rows of their own (row_kind command), with the comment they came from.
    const commands = all.filter((x) => x.kind === 'command');
    expect(commands.map((x) => [x.command?.name, x.command?.by, x.command?.outcome])).toEqual([
      ['lock', 'carol', 'done'],
      ['status', 'bob', 'done'],
      ['unlock', 'carol', 'done'],
    ]);
    const rows = all.filter((x) => x.kind !== 'command');
    // The world starts with the current releases deployed by an earlier Stagegate (before this audit trail began).
    const earlier = new Set(sb.runner.history.map((run) => Number(run.inputs.deployment_id)));
    const ours = [...r.deployments.values()].filter((d) => d.viaApp?.id === sb.app.id && !earlier.has(d.id));
    expect(earlier.size).toBe(2);
    expect(rows.map((x) => x.deploymentId)).toEqual(ours.map((d) => String(d.id)));
    for (const row of rows) {
      const d = r.deployments.get(Number(row.deploymentId))!;
      const pr = r.pulls.get(row.pullRequest!)!;
      const reviews = [...r.reviews.values()].filter((v) => v.pullNumber === pr.number && v.state === 'APPROVED');
      const commits = (await (await fetch(`${sb.apiUrl}/repos/${REPO}/pulls/${pr.number}/commits`, { headers: { authorization: `token ${github.GITHUB_TOKEN}` } })).json()) as {
        sha: string;
        author: { login: string } | null;
        committer: { login: string } | null;
        commit: { message: string; author: { name: string; email: string }; committer: { name: string; email: string } };
      }[];
      const policy = await r.git.readPath(row.policy!.ref, '.github/stagegate.yml');
      const build = sb.checkRunsFor(REPO, pr.headSha).find((c) => c.name === 'build')!;
      expect(row).toMatchObject({
        stage: d.environment,
        sha: d.sha,
        pullRequestTitle: pr.title,
        pullRequestUrl: `${sb.url}/${REPO}/pull/${pr.number}`,
        headSha: pr.headSha,
        mergedBy: pr.mergedBy!.login,
        integrity: 'verified',
      });
      // Each commit with its author, committer and co-authors, as GitHub lists the PR's commits.
      expect(row.commits.map((c) => ({ sha: c.sha, author: c.author, committer: c.committer, coAuthors: c.coAuthors.map((p) => `${p.name} <${p.email}>`) }))).toEqual(
        commits.map((c) => ({
          sha: c.sha,
          author: { login: c.author?.login ?? null, name: c.commit.author.name, email: c.commit.author.email },
          committer: { login: c.committer?.login ?? null, name: c.commit.committer.name, email: c.commit.committer.email },
          coAuthors: [...c.commit.message.matchAll(/^Co-authored-by:\s*(.+?)\s*$/gim)].map((m) => m[1]),
        })),
      );
      expect(row.commitCount).toBe(commits.length);
      expect([...row.approvals, ...row.refusedApprovals].map((a) => a.login).sort()).toEqual(reviews.map((v) => v.user.login).sort());
      expect(row.approvals.every((a) => a.commitId === pr.headSha)).toBe(true);
      // The blob sha git itself gives the policy file at the base the gate read.
      expect(policy?.type).toBe('blob');
      expect(row.policy).toMatchObject({ path: '.github/stagegate.yml', blobSha: policy?.sha, fellBack: false });
      expect(row.requiredChecks).toEqual([expect.objectContaining({ name: 'build', source: 'check_run', app: build.app.slug, conclusion: 'success', url: `${sb.url}/${REPO}/runs/${build.id}` })]);
      expect(row.rules.length).toBeGreaterThan(0);
      expect(row.rules.map((x) => x.state)).toEqual(row.rules.map(() => 'passed'));
      expect(row.rules.every((x) => x.id !== '' && x.title !== '' && x.reason !== '')).toBe(true);
      // GitHub marks an earlier success `inactive` when a later deployment to the environment succeeds
      // (auto_inactive): that is GitHub's bookkeeping, not a result of this deployment's run.
      const own = d.statuses.filter((x) => x.state !== 'inactive');
      expect(row.statuses.map((x) => x.state)).toEqual(own.map((x) => x.state));
      expect(row.workflowRunUrl).toBe(own.at(-1)!.logUrl);
      expect(row.workflowRunUrl).toMatch(/\/actions\/runs\/\d+$/);
      // The verification values are the ones the protected run wrote in the deployment's statuses
      // (through GitHub Actions' own app, linking to its run), one per check, in order.
      const written = own.filter((x) => x.description.startsWith('values ') && x.viaApp?.slug === 'github-actions' && x.logUrl === row.workflowRunUrl);
      expect(written.length).toBeGreaterThan(0);
      expect(row.verification?.valuesWhy).toBeNull();
      expect(row.verification?.runUrl).toBe(row.workflowRunUrl);
      expect(row.verification?.checks.map((c) => [c.statusId, c.at])).toEqual(written.map((x) => [x.id, x.createdAt]));
      for (const [i, c] of (row.verification?.checks ?? []).entries()) {
        expect(written[i]!.description).toBe(`values ${i + 1}/${written.length} ${String(c.kind)} ${String(c.verdict)} ${JSON.stringify([c.name, c.observed, c.threshold])}`);
      }
    }
    const [staging, production] = rows;
    expect(staging?.verification).toMatchObject({ result: 'success' });
    expect(production?.verification).toMatchObject({ result: 'failure', reasonCode: 'metrics-failed' });
    // The failed metric check is among production's values, with what Prometheus showed against its threshold.
    expect(production?.verification?.checks).toContainEqual(expect.objectContaining({ kind: 'metric', verdict: 'fail' }));
    expect(staging?.verification?.checks.every((c) => c.verdict === 'pass')).toBe(true);
    // Each promotion read the policy at its base before the merge, with no `_extends`.
    expect(rows.map((x) => [x.policy?.ref, x.policy?.extendsFrom])).toEqual(rows.map((x) => [x.baseSha, null]));
    expect(production?.refusedApprovals).toEqual([expect.objectContaining({ login: 'alice', refusal: 'author' })]);
    const rollback = [...r.deployments.values()].find((d) => (d.payload as { rollback_of?: number } | null)?.rollback_of === Number(production?.deploymentId));
    expect(production?.rollback).toMatchObject({ rollbackDeploymentId: String(rollback?.id), sha: world.initialSha, state: 'success' });

    // A database owner rewrites the whole chain and recomputes every hash: the chain alone still verifies...
    const db = await openAuditStore({ dataDir, env: {} });
    const rewrite = await rehashedRewriteSql(db, REPO, 1, 'mallory').finally(() => db.close());
    const sqlite = new Database(join(dataDir, 'stagegate.db'));
    sqlite.pragma('busy_timeout = 5000');
    sqlite.exec('DROP TRIGGER IF EXISTS audit_records_no_update; DROP TRIGGER IF EXISTS audit_records_no_delete;');
    for (const sql of rewrite) sqlite.exec(sql);
    expect((await runBin(['audit', 'verify', '--repo', REPO, ...store])).code).toBe(0);
    // ... but not against what GitHub shows.
    const rewritten = await runBin(['audit', 'verify', '--anchors', '--repo', REPO, ...store], github);
    expect(rewritten.code).toBe(6);
    expect(rewritten.stdout).toMatch(/^REWRITTEN acme\/shop: (deployment \d+|check run \S+) shows record \d+ of acme\/shop with hash [0-9a-f]{12}, the stored one has [0-9a-f]{12}/m);

    // An edit without re-hashing breaks the chain: export refuses it and writes nothing.
    sqlite.exec(`UPDATE audit_records SET actor = 'eve' WHERE repository = '${REPO}' AND seq = 3`);
    sqlite.close();
    const refused = await runBin(['audit', 'export', '--repo', REPO, '--format', 'csv', ...store]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/audit export refused: acme\/shop: record seq 3 .* was edited/);
  }, 120_000);
});
