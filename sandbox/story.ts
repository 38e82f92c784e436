/** The demo story, played against the sandbox, the real app, the real Action bundle, demo services and a real Prometheus. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDemoService, type DemoService, type Traffic } from './services/demo-service.js';
import { startPrometheus, type PrometheusServer } from './services/prometheus.js';
import { deployWorkflow, startStack, type Stack } from './stack.js';
import { renderTranscript } from './transcript.js';
import type { GitHubSandbox } from './github-sandbox.js';
import type { CheckRunState } from './state.js';

/** One narrated step and whether it behaved as narrated. */
export interface StoryStep {
  title: string;
  ok: boolean;
  details: string[];
  error?: string;
}

/** What a played story produced. */
export interface StoryResult {
  ok: boolean;
  steps: StoryStep[];
  htmlFile: string | null;
  violations: GitHubSandbox['violations'];
}

/** Options of {@link playStory}. */
export interface StoryOptions {
  /** Where the HTML transcript goes (a directory). */
  outDir: string;
  /** Called with each line of narration as it happens. */
  narrate?: (line: string) => void;
}

const REPO = 'acme/shop';
const RATIO = (target: string): string =>
  `sum(rate(demo_http_requests_total{route="api",code=~"5..",instance="${target}"}[4s])) / sum(rate(demo_http_requests_total{route="api",instance="${target}"}[4s]))`;
const TRAFFIC = (target: string): string => `sum(rate(demo_http_requests_total{route="api",instance="${target}"}[4s]))`;

function stageYaml(name: string, branch: string, from: string, svc: DemoService, prom: PrometheusServer, extra: string): string {
  return `  - name: ${name}
    branch: ${branch}
    from: ${from}
${extra}    checks: [build]
    deploy:
      command: curl -fsS -X POST "${svc.url}/admin/deploy?version=$STAGEGATE_SHA"
      timeout: 30s
      url: ${svc.url}
    verify:
      smoke:
        - name: health
          url: ${svc.url}/healthz
          expect: { status: 200, json: { status: ok } }
          retries: 2
          timeout: 5s
        - name: deployed version
          run: curl -fsS ${svc.url}/version | grep -q "$STAGEGATE_SHA"
      metrics:
        url: ${prom.url}
        window: 6s
        interval: 1s
        checks:
          - name: 5xx ratio
            query: ${RATIO(svc.target)}
            max: 0.05
          - name: traffic
            query: ${TRAFFIC(svc.target)}
            min: 1
    auto_rollback: true
`;
}

/** The `.github/stagegate.yml` of the demo repository. */
export function demoConfig(staging: DemoService, production: DemoService, prom: PrometheusServer): string {
  return `stages:
${stageYaml('staging', 'staging', 'master', staging, prom, '    signoff:\n      approvals: 1\n')}${stageYaml(
    'production',
    'production',
    'staging',
    production,
    prom,
    '    signoff:\n      approvals: 1\n      reviewers: ["@acme/release-managers"]\n      separation_of_duties: true\n    verified_in: staging\n    soak: 1s\n',
  )}risk:
  - name: docs
    paths: ["docs/**", "**/*.md"]
    level: low
  - name: pricing
    paths: ["src/discounts.ts", "src/cart.ts"]
    stages: [production]
deploy:
  workflow: stagegate-deploy.yml
`;
}

/** Everything the story runs on; reusable by end-to-end tests. */
export interface World {
  stack: Stack;
  sb: GitHubSandbox;
  staging: DemoService;
  production: DemoService;
  prom: PrometheusServer;
  traffic: Traffic[];
  /** When true, any release not deployed to production before answers 40% of its requests with 500 there. */
  productionBreaksNewReleases: boolean;
  initialSha: string;
  stop(): Promise<void>;
}

/** Starts the stack, two demo services (staging, production), Prometheus scraping both, and seeds acme/shop. */
export async function startWorld(): Promise<World> {
  const stack = await startStack();
  const sb = stack.sb;
  const cleanups: Array<() => Promise<void> | void> = [() => stack.stop()];
  try {
    const known: Record<string, number> = {};
    const flags = { productionBreaksNewReleases: false };
    const productionReleases = new Proxy(known, {
      get: (t, k) => (typeof k === 'string' && !(k in t) && flags.productionBreaksNewReleases ? 0.4 : typeof k === 'string' ? t[k] : undefined),
    });
    const staging = await startDemoService({ releases: {} });
    cleanups.push(() => staging.stop());
    const production = await startDemoService({ releases: productionReleases });
    cleanups.push(() => production.stop());
    const prom = await startPrometheus({ targets: [staging.target, production.target], scrapeInterval: '1s' });
    cleanups.push(() => prom.stop());
    const traffic = [staging.startTraffic({ rps: 30, maxDurationMs: 15 * 60_000 }), production.startTraffic({ rps: 30, maxDurationMs: 15 * 60_000 })];
    cleanups.push(() => traffic.forEach((t) => t.stop()));

    sb.createUser({ login: 'alice', name: 'Alice Developer', email: 'alice@acme.test' });
    sb.createUser({ login: 'bob', name: 'Bob Developer', email: 'bob@acme.test' });
    sb.createUser({ login: 'carol', name: 'Carol Release-Manager', email: 'carol@acme.test' });
    sb.createOrg({ login: 'acme', name: 'Acme' });
    sb.createTeam('acme', { slug: 'release-managers', members: ['alice', 'carol'] });
    const initialSha = await createShopRepo({ sb, stack, staging, production, prom }, 'shop');
    known[initialSha] = 0;
    staging.deploy({ version: initialSha, errorRatio: 0 });
    production.deploy({ version: initialSha, errorRatio: 0 });
    await prom.waitForTargets(60_000);
    for (const svc of [staging, production]) await prom.waitForQuery(TRAFFIC(svc.target), (v) => v.length === 1 && (v[0] ?? 0) > 1, 60_000);
    await sb.settled();
    return {
      stack,
      sb,
      staging,
      production,
      prom,
      traffic,
      get productionBreaksNewReleases() {
        return flags.productionBreaksNewReleases;
      },
      set productionBreaksNewReleases(v: boolean) {
        flags.productionBreaksNewReleases = v;
      },
      initialSha,
      async stop() {
        for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw err;
  }
}

/**
 * Creates `acme/<name>` (master, staging, production at one commit) with the demo configuration and the
 * deploy workflow, CI green on that commit, and a successful deployment of it in both stages (what ran
 * before Stagegate). Returns that commit.
 */
export async function createShopRepo(w: Pick<World, 'sb' | 'stack' | 'staging' | 'production' | 'prom'>, name: string, configOverride?: string): Promise<string> {
  const { sb } = w;
  const full = `acme/${name}`;
  const repo = await sb.createRepo({
    owner: 'acme',
    name,
    defaultBranch: 'master',
    branches: ['staging', 'production'],
    author: 'bob',
    files: {
      'README.md': `# ${name}\n`,
      'src/cart.ts': 'export const cartTotal = (items: number[]): number => items.reduce((a, b) => a + b, 0);\n',
      '.github/stagegate.yml': configOverride ?? demoConfig(w.staging, w.production, w.prom),
      '.github/workflows/stagegate-deploy.yml': deployWorkflow(w.stack.actionUses),
    },
  });
  for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator(full, u, 'write');
  const initialSha = (await repo.git.branchSha('production')) ?? '';
  await sb.addCheckRun(full, { headSha: initialSha, name: 'build', conclusion: 'success' });
  await seedDeployment(sb, 'staging', initialSha, full);
  await seedDeployment(sb, 'production', initialSha, full);
  return initialSha;
}

/** Records that `sha` already runs in `environment` (a deployment with a success status, made before Stagegate). */
async function seedDeployment(sb: GitHubSandbox, environment: string, sha: string, repo: string): Promise<void> {
  const r = sb.repo(repo);
  const creator = sb.account('bob');
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const id = sb.nextId() + 40_000_000;
  r.deployments.set(id, {
    id,
    sha,
    ref: environment,
    task: 'deploy',
    environment,
    payload: {},
    description: 'deployed before Stagegate',
    creator,
    viaApp: null,
    transient: false,
    production: environment === 'production',
    createdAt: now,
    updatedAt: now,
    statuses: [{ id: id + 1, state: 'success', description: 'deployed before Stagegate', environment, targetUrl: '', logUrl: '', environmentUrl: '', creator, viaApp: null, createdAt: now }],
  });
}

/** The app's `stagegate` check run on `sha` (latest), or null. */
export function gateCheck(sb: GitHubSandbox, sha: string, repo = REPO): CheckRunState | null {
  const runs = sb.checkRunsFor(repo, sha).filter((c) => c.name === 'stagegate' && c.app.id === sb.app.id);
  return runs.sort((a, b) => b.id - a.id)[0] ?? null;
}

/** The first line of a bot comment that is not a hidden marker, shortened. */
export function firstLine(body: string): string {
  return (body.split('\n').find((l) => l.trim() && !l.trim().startsWith('<!--')) ?? '').trim().slice(0, 140);
}

/** The gate's verdict as a reviewer sees it: `pending` while the run is in progress, else its conclusion. */
export function verdictOf(c: CheckRunState): string {
  return c.status === 'completed' ? (c.conclusion ?? 'unknown') : 'pending';
}

/** The newest check run id of the repo (to wait for an evaluation made after it). */
export function checkMark(sb: GitHubSandbox, repo = REPO): number {
  return Math.max(0, ...[...sb.repo(repo).checkRuns.keys()]);
}

/** Waits for the app's gate on `sha`, evaluated after `after` (a {@link checkMark}), whose verdict satisfies `pred`. */
export async function waitForGate(sb: GitHubSandbox, sha: string, pred: (verdict: string) => boolean, after = 0, timeoutMs = 30_000, repo = REPO): Promise<CheckRunState> {
  let last = 'none';
  try {
    return await sb.waitFor(
      () => {
        const c = gateCheck(sb, sha, repo);
        if (!c || c.id <= after) return null;
        last = verdictOf(c);
        return pred(last) ? c : null;
      },
      timeoutMs,
      `the stagegate check on ${sha.slice(0, 7)}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last verdict: ${last})`);
  }
}

/** Runs CI on `sha` (the `build` check run a CI app would post). */
export async function ci(sb: GitHubSandbox, sha: string, repo = REPO): Promise<void> {
  await sb.addCheckRun(repo, { headSha: sha, name: 'build', conclusion: 'success', summary: 'Build and unit tests passed.' });
}

/** Plays the story of `npm run demo`; never throws for a misbehaving step (it is reported). */
export async function playStory(world: World, opts: StoryOptions): Promise<StoryResult> {
  const { sb } = world;
  const say = opts.narrate ?? ((l: string) => console.log(l));
  const steps: StoryStep[] = [];
  const narration: string[] = [];
  let failed = false;

  async function step(title: string, body: (note: (s: string) => void) => Promise<void>): Promise<void> {
    const s: StoryStep = { title, ok: true, details: [] };
    steps.push(s);
    say(`\n▶ ${title}`);
    narration.push(title);
    if (failed) {
      s.ok = false;
      s.error = 'skipped: an earlier step did not behave as narrated';
      say(`  ✗ ${s.error}`);
      return;
    }
    try {
      await body((line) => {
        s.details.push(line);
        say(`  · ${line}`);
      });
      say('  ✓ as narrated');
    } catch (err) {
      s.ok = false;
      failed = true;
      s.error = err instanceof Error ? err.message : String(err);
      say(`  ✗ ${s.error}`);
    }
  }
  const expectThat = (cond: boolean, message: string): void => {
    if (!cond) throw new Error(message);
  };
  const r = sb.repo(REPO);
  let stagingPr = 0;
  let productionPr = 0;
  let stagingHead = '';
  let productionHead = '';

  await step('Alice merges her reviewed feature into master (not a promotion: Stagegate stays out of it)', async (note) => {
    await sb.createBranch(REPO, 'feature/discounts', 'master');
    const sha = await sb.push(REPO, {
      branch: 'feature/discounts',
      files: { 'src/discounts.ts': 'export const discount = (total: number): number => (total > 100 ? total * 0.9 : total);\n' },
      message: 'feat: volume discounts',
      author: 'alice',
    });
    await ci(sb, sha);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'feature/discounts', base: 'master', title: 'Volume discounts', user: 'alice' });
    await sb.review({ repo: REPO, pr: pr.number, user: 'bob', event: 'APPROVE' });
    const merge = await sb.merge(REPO, pr.number, 'alice');
    await ci(sb, merge);
    await sb.settled();
    note(`feature PR #${pr.number} merged into master as ${merge.slice(0, 7)}`);
    expectThat(gateCheck(sb, sha) === null, 'Stagegate gated a PR into master, which is no stage');
    expectThat(
      sb.deploymentsOf(REPO).every((d) => d.description === 'deployed before Stagegate'),
      'a deployment was created for a non-promotion merge',
    );
  });

  await step('Alice opens the promotion PR master → staging; the gate is pending (no approval yet)', async (note) => {
    const mark = checkMark(sb);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'master', base: 'staging', title: 'Promote master to staging', user: 'alice' });
    stagingPr = pr.number;
    stagingHead = pr.headSha;
    const gate = await waitForGate(sb, stagingHead, (v) => v === 'pending', mark);
    note(`stagegate check on ${stagingHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    const comment = await sb.waitFor(() => [...r.comments.values()].find((c) => c.issueNumber === stagingPr && c.user.login === `${sb.app.slug}[bot]`) ?? null, 30_000, 'the gate comment');
    note(`gate comment posted by ${comment.user.login}: ${firstLine(comment.body)}`);
  });

  await step('Bob approves the exact head commit; the gate turns green', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: stagingPr, user: 'bob', event: 'APPROVE', commitId: stagingHead });
    const gate = await waitForGate(sb, stagingHead, (v) => v === 'success', mark);
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Bob merges: Stagegate creates a staging deployment and dispatches the deploy workflow; the Action deploys, smoke-tests and checks metrics', async (note) => {
    const runsBefore = sb.runner.runs.length;
    await sb.merge(REPO, stagingPr, 'bob');
    const run = await sb.waitForWorkflowRun((x) => x.inputs.environment === 'staging', 180_000);
    note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'} reason=${run.outputs['reason-code'] ?? '?'}`);
    expectThat(sb.runner.runs.length === runsBefore + 1, `expected one workflow run, got ${sb.runner.runs.length - runsBefore}`);
    expectThat(run.conclusion === 'success' && run.outputs.result === 'success', `the staging deploy did not succeed:\n${run.stderr.slice(-2000)}`);
    const dep = sb.deploymentsOf(REPO).find((d) => String(d.id) === run.inputs.deployment_id);
    expectThat(dep !== undefined, 'the dispatched deployment does not exist');
    const states = dep?.statuses.map((s) => s.state) ?? [];
    note(`deployment ${dep?.id} of ${dep?.sha.slice(0, 7)} to staging: ${states.join(' → ')}`);
    expectThat(states[states.length - 1] === 'success', 'the staging deployment is not success');
    expectThat(world.staging.release().version === dep?.sha, `staging runs ${world.staging.release().version}, not ${dep?.sha}`);
    productionHead = (await r.git.branchSha('staging')) ?? '';
  });

  await step('The results comment is on the staging PR', async (note) => {
    const report = await sb.waitFor(() => [...r.comments.values()].find((c) => c.issueNumber === stagingPr && /stagegate:deployment:/.test(c.body)) ?? null, 30_000, 'the deployment report comment');
    note(`report comment by ${report.user.login}: ${firstLine(report.body)}`);
  });

  await step('Bob opens the promotion PR staging → production; CI is green, the gate is pending', async (note) => {
    await ci(sb, productionHead);
    const mark = checkMark(sb);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'staging', base: 'production', title: 'Promote staging to production', user: 'bob' });
    productionPr = pr.number;
    productionHead = pr.headSha;
    const gate = await waitForGate(sb, productionHead, (v) => v === 'pending', mark);
    note(`stagegate check on ${productionHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Alice, a release manager but the author of the feature, approves: her approval does not count (separation of duties)', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: productionPr, user: 'alice', event: 'APPROVE', commitId: productionHead });
    const gate = await waitForGate(sb, productionHead, () => true, mark);
    expectThat(verdictOf(gate) === 'pending', `the gate is ${verdictOf(gate)} after the author’s own approval, not pending`);
    const text = `${gate.output.summary ?? ''}\n${gate.output.text ?? ''}`;
    expectThat(/alice/i.test(text), 'the gate does not say why alice’s approval does not count');
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    const why = text.split('\n').find((l) => /alice/i.test(l));
    if (why) note(`gate says: ${why.trim().slice(0, 160)}`);
  });

  await step('Carol, a release manager who wrote none of it, approves; the gate turns green', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: productionPr, user: 'carol', event: 'APPROVE', commitId: productionHead });
    const gate = await waitForGate(sb, productionHead, (v) => v === 'success', mark);
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Carol merges; the release misbehaves in production: the metric check fails and the Action rolls back automatically', async (note) => {
    world.productionBreaksNewReleases = true;
    note('(under production traffic the new release answers 40% of its requests with 500)');
    const mergeSha = await sb.merge(REPO, productionPr, 'carol');
    note(`merged as ${mergeSha.slice(0, 7)}`);
    const run = await sb.waitForWorkflowRun((x) => x.inputs.environment === 'production', 180_000);
    note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'} reason=${run.outputs['reason-code'] ?? '?'}`);
    expectThat(run.outputs.result === 'rolled_back', `expected result rolled_back, got ${run.outputs.result ?? 'none'}:\n${run.stderr.slice(-2000)}`);
    expectThat(run.outputs['reason-code'] === 'metrics-failed', `expected reason metrics-failed, got ${run.outputs['reason-code'] ?? 'none'}`);
    expectThat(run.conclusion === 'failure', 'a rolled-back deploy must fail the workflow run');
    const deps = sb.deploymentsOf(REPO).filter((d) => d.environment === 'production');
    const failedDep = deps.find((d) => String(d.id) === run.inputs.deployment_id);
    const rollback = deps.find((d) => (d.payload as { rollback_of?: number } | null)?.rollback_of === failedDep?.id);
    note(`deployment ${failedDep?.id}: ${failedDep?.statuses.map((s) => s.state).join(' → ')}`);
    note(`rollback deployment ${rollback?.id} of ${rollback?.sha.slice(0, 7)}: ${rollback?.statuses.map((s) => s.state).join(' → ')}`);
    expectThat(failedDep?.statuses.at(-1)?.state === 'failure', 'the failed deployment is not marked failure');
    expectThat(rollback?.sha === world.initialSha && rollback.statuses.at(-1)?.state === 'success', 'no successful rollback to the previous release');
    expectThat(world.production.release().version === world.initialSha, `production runs ${world.production.release().version}, not the previous release`);
  });

  await step('The report: the production PR says what failed and that it was rolled back', async (note) => {
    const report = await sb.waitFor(
      () => [...r.comments.values()].find((c) => c.issueNumber === productionPr && /stagegate:deployment:/.test(c.body)) ?? null,
      30_000,
      'the deployment report comment',
    );
    expectThat(/rolled back/i.test(report.body), 'the report does not say it rolled back');
    note(`report comment: ${firstLine(report.body)}`);
  });

  let htmlFile: string | null = null;
  try {
    htmlFile = join(opts.outDir, 'stagegate-demo.html');
    const lines = steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.title}${s.details.length ? ` — ${s.details.join('; ')}` : ''}${s.error ? ` — ${s.error}` : ''}`);
    await writeFile(htmlFile, await renderTranscript(sb, REPO, { title: 'Stagegate demo: acme/shop', narration: lines }));
  } catch (err) {
    say(`could not write the HTML transcript: ${(err as Error).message}`);
    htmlFile = null;
  }
  const violations = [...sb.violations];
  return { ok: steps.every((s) => s.ok) && violations.length === 0 && htmlFile !== null, steps, htmlFile, violations };
}
