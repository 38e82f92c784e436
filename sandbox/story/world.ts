/** The demo world: the stack, two demo services, a real Prometheus scraping both, and the seeded acme/shop repository. */
import { startDemoService, type DemoService, type Traffic } from '../services/demo-service.js';
import { startPrometheus, type PrometheusServer } from '../services/prometheus.js';
import { deployWorkflow, startStack, type Stack } from '../stack.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { runName } from '../../src/protocol/dispatch.js';

/** The 5xx ratio and traffic queries the demo stages check, for one scrape target. */
export const RATIO = (target: string): string =>
  `sum(rate(demo_http_requests_total{route="api",code=~"5..",instance="${target}"}[4s])) / sum(rate(demo_http_requests_total{route="api",instance="${target}"}[4s]))`;
/** Requests per second of the demo API on `target`. */
export const TRAFFIC = (target: string): string => `sum(rate(demo_http_requests_total{route="api",instance="${target}"}[4s]))`;

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
export function demoConfig(staging: DemoService, production: DemoService, prom: PrometheusServer, opts: { story?: boolean } = {}): string {
  // The story's repository also has a standing staging promotion PR and release notes grouped by label.
  const standing = opts.story ? '    promotion_pr: open\n' : '';
  const notes = opts.story ? 'release_notes:\n  categories:\n    - { title: Features, labels: [feature] }\n    - { title: Fixes, labels: [bug] }\n' : '';
  return `stages:
${stageYaml('staging', 'staging', 'master', staging, prom, `    signoff:\n      approvals: 1\n${standing}`)}${stageYaml(
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
${notes}deploy:
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
  /** The 5xx ratio the staging service answers with per release (SHA), `'*'` for releases not listed (default: healthy). */
  stagingErrorRatio: Record<string, number>;
  initialSha: string;
  stop(): Promise<void>;
}

/**
 * Starts the stack, two demo services (staging, production), Prometheus scraping both, and seeds
 * acme/shop. `appDataDir` keeps the app's data (its audit trail) there instead of a temporary directory.
 */
export async function startWorld(opts: { appDataDir?: string; story?: boolean } = {}): Promise<World> {
  const stack = await startStack(opts.appDataDir !== undefined ? { appDataDir: opts.appDataDir } : {});
  const sb = stack.sb;
  const cleanups: Array<() => Promise<void> | void> = [() => stack.stop()];
  try {
    const known: Record<string, number> = {};
    const flags = { productionBreaksNewReleases: false };
    const productionReleases = new Proxy(known, {
      get: (t, k) => (typeof k === 'string' && !(k in t) && flags.productionBreaksNewReleases ? 0.4 : typeof k === 'string' ? t[k] : undefined),
    });
    const stagingErrorRatio: Record<string, number> = {};
    // `'*'` is the ratio of any release not listed (e.g. a merge commit not known in advance).
    const stagingReleases = new Proxy(stagingErrorRatio, { get: (t, k) => (typeof k === 'string' ? (k in t ? t[k] : t['*']) : undefined) });
    const staging = await startDemoService({ releases: stagingReleases });
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
    const initialSha = await createShopRepo({ sb, stack, staging, production, prom }, 'shop', opts.story ? demoConfig(staging, production, prom, { story: true }) : undefined);
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
      stagingErrorRatio,
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
export async function createShopRepo(w: Pick<World, 'sb' | 'stack' | 'staging' | 'production' | 'prom'>, name: string, configOverride?: string, opts: { workflow?: string } = {}): Promise<string> {
  const { sb } = w;
  const full = `acme/${name}`;
  const repo = await sb.createRepo({
    owner: 'acme',
    name,
    // A company's shop is private: only its collaborators (and the app, where installed) read it.
    private: true,
    defaultBranch: 'master',
    branches: ['staging', 'production'],
    author: 'bob',
    files: {
      'README.md': `# ${name}\n`,
      'src/cart.ts': 'export const cartTotal = (items: number[]): number => items.reduce((a, b) => a + b, 0);\n',
      '.github/stagegate.yml': configOverride ?? demoConfig(w.staging, w.production, w.prom),
      '.github/workflows/stagegate-deploy.yml': opts.workflow ?? deployWorkflow(w.stack.actionUses),
    },
  });
  for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator(full, u, 'write');
  const initialSha = (await repo.git.branchSha('production')) ?? '';
  await sb.addCheckRun(full, { headSha: initialSha, name: 'build', conclusion: 'success' });
  await seedDeployment(sb, 'staging', initialSha, full);
  await seedDeployment(sb, 'production', initialSha, full);
  return initialSha;
}

/**
 * Records that `sha` already runs in `environment` as an earlier Stagegate release (the world's starting
 * state, not part of the story): a deployment the app created for a promotion, with the successful run of the
 * protected deploy workflow that verified it — what a rollback goes back to. (A deployment made before
 * Stagegate, by anyone's token, is no rollback target: Stagegate cannot tell that it was ever verified.)
 */
async function seedDeployment(sb: GitHubSandbox, environment: string, sha: string, repo: string): Promise<void> {
  const r = sb.repo(repo);
  const bot = sb.account(`${sb.app.slug}[bot]`);
  const actions = sb.account('github-actions[bot]');
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const id = sb.nextId() + 40_000_000;
  const runId = sb.nextId() + 90_000_000;
  const payload = {
    stagegate: 1,
    kind: 'promotion',
    stage: environment,
    pull_request: 9000 + (environment === 'production' ? 2 : 1),
    base: sha,
    head: sha,
    merge_commit: sha,
    approvers: [],
    policy: {
      source: { ref: sha, path: '.github/stagegate.yml', fell_back: false },
      stage: { name: environment, branch: environment, from: 'master', auto_rollback: true },
      workflow: { path: '.github/workflows/stagegate-deploy.yml', ref: environment },
    },
  };
  const log = `${sb.url}/${repo}/actions/runs/${runId}`;
  r.deployments.set(id, {
    id,
    sha,
    ref: sha,
    task: 'deploy',
    environment,
    payload,
    description: 'an earlier Stagegate release',
    creator: bot,
    viaApp: sb.app,
    transient: false,
    production: environment === 'production',
    createdAt: now,
    updatedAt: now,
    statuses: [
      {
        id: id + 1,
        state: 'success',
        description: `success: ok (verified ${sha.slice(0, 7)})`,
        environment,
        targetUrl: log,
        logUrl: log,
        environmentUrl: '',
        creator: actions,
        viaApp: sb.actionsApp,
        createdAt: now,
      },
    ],
  });
  sb.runner.history.push({
    id: runId,
    runNumber: 0,
    repo,
    workflowPath: '.github/workflows/stagegate-deploy.yml',
    workflowName: 'stagegate-deploy',
    concurrencyGroup: null,
    displayTitle: runName({ deploymentId: id, sha, environment }),
    event: 'workflow_dispatch',
    ref: `refs/heads/${environment}`,
    headSha: sha,
    inputs: { environment, sha, deployment_id: String(id), pull_request: '' },
    actor: bot.login,
    status: 'completed',
    conclusion: 'success',
    outputs: { result: 'success', 'reason-code': 'ok' },
    summary: '',
    stdout: '',
    stderr: '',
    steps: [],
    error: null,
    workspace: '',
    createdAt: now,
    updatedAt: now,
    completedAt: now,
    environments: [],
  });
}
