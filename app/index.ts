import type { ApplicationFunction, Context, Probot } from 'probot';
import type { Config } from '../src/config/schema.js';
import { loadConfig } from '../src/config/load.js';
import { rulesAffectedBy } from '../src/gate/evaluate.js';
import type { GateEvent } from '../src/gate/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import { githubConfigSource } from '../src/github/config-source.js';
import { FactCache } from '../src/github/fact-cache.js';
import { CONFIG_CHECK_NAME } from '../src/render/config-check.js';
import type { AppDeps, AppSelf } from './deps.js';
import { botLogin } from '../src/protocol/markers.js';
import { runConfigCheck, type ConfigCheckOutcome } from './config-check.js';
import { recordDeploymentStatus, type DeploymentStatusEvent } from './deployment-status.js';
import { runGate, type GateRunInput, type GateRunOutcome } from './gate-runner.js';
import { CHECK_NAME, latestOwnCheck, publishCheck } from './github-writes.js';
import { KeyedQueue } from './keyed-queue.js';
import { handleMerge, type MergeResult } from './merge.js';
import { reviewProtectionRule, type ProtectionRuleOutcome } from './protection-rule.js';
import { settleRun } from './workflow-run.js';
import { autoMerge, type AutoMergeOutcome } from './auto-merge.js';
import { requestDuty, type DutyOutcome } from './duty.js';
import { publishRelease, type ReleaseOutcome } from './release.js';
import { keepStandingPrs, type StandingOutcome } from './standing-pr.js';

export type { AppDeps } from './deps.js';

/** How long a policy read during an evaluation may be used to skip events that cannot matter. */
const POLICY_HINT_TTL_MS = 10 * 60 * 1000;

interface RepoPayload {
  repository: { name: string; owner: { login: string }; default_branch: string; full_name: string };
  sender?: { login: string } | null;
}
interface PrRef {
  number: number;
  head: { sha: string; repo: { id: number } | null };
  base: { repo: { id: number } };
}

/** What the app did with one delivery; tests and the sandbox read it through `onHandled`. */
export type Handled =
  | { event: string; outcome: 'ignored'; why: string }
  | { event: string; outcome: 'gate'; pullRequest: number; result: GateRunOutcome }
  | { event: string; outcome: 'merge'; pullRequest: number; result: MergeResult }
  | { event: string; outcome: 'recorded'; appended: number }
  | { event: string; outcome: 'config-check'; pullRequest: number; result: ConfigCheckOutcome }
  | { event: string; outcome: 'protection-rule'; result: ProtectionRuleOutcome }
  | { event: string; outcome: 'standing'; results: StandingOutcome[] }
  | { event: string; outcome: 'continuous'; pullRequest: number; duty: DutyOutcome; autoMerge: AutoMergeOutcome }
  | { event: string; outcome: 'release'; deploymentId: number; result: ReleaseOutcome };

/** Options of {@link createApp}. */
/** Timers longer than this are not set; the next webhook re-evaluates anyway. */
const MAX_TIMER_MS = 7 * 24 * 3600 * 1000;

function timerSchedule(at: Date, task: () => void): { cancel(): void } {
  const t = setTimeout(task, Math.max(0, at.getTime() - Date.now()));
  t.unref();
  return { cancel: () => clearTimeout(t) };
}

export interface CreateAppOptions extends Omit<AppDeps, 'self'> {
  /** This app's id (from APP_ID); read from GitHub with the app's credentials when absent. */
  appId?: number;
  /** This app's identity; read from `GET /app` when absent. */
  self?: AppSelf;
  /** Called after each handled delivery (for tests, the sandbox and logs). */
  onHandled?: (h: Handled) => void;
}

/**
 * The Stagegate Probot app: gates promotion PRs with the `stagegate` check run and comment,
 * deploys on merge, and records the audit trail. Dependencies are injected.
 */
export function createApp(options: CreateAppOptions): ApplicationFunction {
  const queue = new KeyedQueue();
  const policyHints = new Map<string, { config: Config; at: number }>();
  let fetchSelf: (() => Promise<AppSelf>) | null = null;
  let selfCache: Promise<AppSelf> | null = null;
  /** Who this app is, read once from `GET /app` with its own credentials (or given). */
  const self = (): Promise<AppSelf> => {
    if (options.self) return Promise.resolve(options.self);
    if (!fetchSelf) return Promise.reject(new Error('the app is not loaded yet'));
    if (!selfCache) {
      selfCache = fetchSelf();
      selfCache.catch(() => (selfCache = null));
    }
    return selfCache;
  };
  const deps: AppDeps = {
    self,
    store: options.store,
    chatops: options.chatops,
    now: options.now,
    cache: options.cache ?? new FactCache(),
    onPolicy: (repository, config) => policyHints.set(repository, { config, at: Date.now() }),
    published: new Map(),
  };
  const report = (h: Handled) => options.onHandled?.(h);
  const schedule = options.schedule ?? timerSchedule;
  const timers = new Map<string, { cancel(): void }>();

  const hint = (repo: string): Config | null => {
    const h = policyHints.get(repo);
    return h && Date.now() - h.at < POLICY_HINT_TTL_MS ? h.config : null;
  };

  const app = (probot: Probot) => {
    fetchSelf = async () => {
      const octokit = await probot.auth();
      const data = (await octokit.request('GET /app')).data as { id: number; slug: string };
      if (options.appId !== undefined && data.id !== options.appId) throw new Error(`GET /app answered app ${data.id}, but APP_ID is ${options.appId}`);
      return { id: data.id, slug: data.slug, login: botLogin(data.slug) };
    };
    /** This app's id. */
    const appId = async (): Promise<number> => options.appId ?? (await self()).id;
    /** Whether an event can change any stage's gate under a known policy. */
    const canChange = (event: GateEvent, config: Config): boolean => config.stages.some((s) => rulesAffectedBy(event, s, config).length > 0);
    const clientOf = (context: Context): GitHubRequester => context.octokit;
    const repoOf = (payload: RepoPayload) => ({ owner: payload.repository.owner.login, repo: payload.repository.name, defaultBranch: payload.repository.default_branch });

    async function gate(context: Context, pullNumber: number, event: GateEvent, headSha: string | null, extra: Partial<GateRunInput> = {}): Promise<void> {
      const payload = context.payload as unknown as RepoPayload;
      const { owner, repo, defaultBranch } = repoOf(payload);
      const client = clientOf(context);
      const key = `${owner}/${repo}#${pullNumber}`;
      await queue.run(key, async () => {
        try {
          const result = await runGate(deps, { client, owner, repo, pullNumber, defaultBranch, event, actor: payload.sender?.login ?? null, ...extra });
          report({ event: context.name, outcome: 'gate', pullRequest: pullNumber, result });
          if (result.kind === 'evaluated') {
            // Continuous promotion: ask the team on duty, then merge a self-merging stage's green promotion.
            const where = { owner, repo, pullNumber, baseSha: result.pr.baseSha, headSha: result.pr.headSha, author: result.pr.author };
            const duty = await requestDuty(deps, client, where, result.match).catch((err: unknown): DutyOutcome => ({ kind: 'failed', team: '?', error: (err as Error).message }));
            const merged = await autoMerge(deps, client, where, { ...result.match, result: result.result }).catch((err: unknown): AutoMergeOutcome => ({
              kind: 'failed',
              why: (err as Error).message,
            }));
            report({ event: context.name, outcome: 'continuous', pullRequest: pullNumber, duty, autoMerge: merged });
          }
          timers.get(key)?.cancel();
          timers.delete(key);
          const next = result.kind === 'evaluated' && result.result.nextChangeAt ? new Date(result.result.nextChangeAt) : null;
          if (next && next.getTime() - deps.now().getTime() <= MAX_TIMER_MS) {
            const head = result.kind === 'evaluated' ? result.result.headSha : headSha;
            timers.set(
              key,
              schedule(new Date(next.getTime() + 1000), () => {
                timers.delete(key);
                gate(context, pullNumber, 'time', head).catch((err: unknown) => probot.log.error({ err }, 'stagegate: timed re-evaluation failed'));
              }),
            );
          }
        } catch (err) {
          // Fail closed: a gate that could not be evaluated must not stay green.
          if (headSha) {
            const previous = await latestOwnCheck(client, { owner, repo, sha: headSha }).catch(() => null);
            deps.published?.delete(`${owner}/${repo}@${headSha}`);
            if (previous && previous.conclusion !== 'failure') {
              await publishCheck(client, {
                owner,
                repo,
                headSha,
                output: {
                  status: 'completed',
                  conclusion: 'failure',
                  title: 'Gate could not be evaluated',
                  summary: `Stagegate could not read what it needs from GitHub (${(err as Error).message}). The gate stays closed until the next event evaluates it.`,
                },
              }).catch(() => undefined);
            }
          }
          throw err;
        }
      });
    }

    async function gateOpenPullsForSha(context: Context, sha: string, prs: PrRef[], event: GateEvent): Promise<void> {
      const payload = context.payload as unknown as RepoPayload;
      const { owner, repo } = repoOf(payload);
      let numbers = prs.filter((p) => p.head.repo && p.head.repo.id === p.base.repo.id).map((p) => p.number);
      if (prs.length === 0) {
        const res = await clientOf(context).request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { owner, repo, commit_sha: sha, per_page: 100 });
        numbers = (res.data as { number: number; state: string; head: { sha: string } }[]).filter((p) => p.state === 'open' && p.head.sha === sha).map((p) => p.number);
      }
      if (numbers.length === 0) report({ event: context.name, outcome: 'ignored', why: `no open pull request has head ${sha.slice(0, 7)}` });
      for (const n of numbers) await gate(context, n, event, sha);
    }

    /** The `stagegate/config` check on a PR that changes the policy file (any base); never blocks the gate. */
    async function configCheck(context: Context, pullNumber: number): Promise<void> {
      const { owner, repo } = repoOf(context.payload as unknown as RepoPayload);
      try {
        const result = await runConfigCheck(deps, { client: clientOf(context), owner, repo, pullNumber });
        report({ event: context.name, outcome: 'config-check', pullRequest: pullNumber, result });
      } catch (err) {
        probot.log.warn({ err }, 'stagegate: the stagegate/config check could not be published');
      }
    }

    probot.on(['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.edited'], async (context) => {
      const pr = context.payload.pull_request;
      if (context.payload.action === 'edited' && !('changes' in context.payload && context.payload.changes?.base)) {
        return report({ event: context.name, outcome: 'ignored', why: 'an edit of title or body cannot change the gate' });
      }
      if (!pr.head.repo || pr.head.repo.id !== pr.base.repo.id) {
        return report({ event: context.name, outcome: 'ignored', why: 'fork pull requests are never promotions' });
      }
      await configCheck(context, pr.number);
      const retargeted = context.payload.action === 'edited';
      await gate(context, pr.number, 'pull_request', pr.head.sha, { retargeted });
    });

    probot.on('pull_request.closed', async (context) => {
      const pr = context.payload.pull_request;
      if (!pr.merged) return report({ event: context.name, outcome: 'ignored', why: 'closed without merging' });
      if (!pr.head.repo || pr.head.repo.id !== pr.base.repo.id) return report({ event: context.name, outcome: 'ignored', why: 'fork pull requests are never promotions' });
      const { owner, repo, defaultBranch } = repoOf(context.payload as unknown as RepoPayload);
      await queue.run(`${owner}/${repo}#${pr.number}`, async () => {
        const result = await handleMerge(deps, { client: clientOf(context), owner, repo, pullNumber: pr.number, defaultBranch, deliveryId: context.id });
        report({ event: context.name, outcome: 'merge', pullRequest: pr.number, result });
      });
    });

    probot.on(['pull_request_review.submitted', 'pull_request_review.edited', 'pull_request_review.dismissed'], async (context) => {
      const pr = context.payload.pull_request;
      if (!pr.head.repo || pr.head.repo.id !== pr.base.repo.id) return report({ event: context.name, outcome: 'ignored', why: 'fork pull requests are never promotions' });
      await gate(context, pr.number, 'pull_request_review', pr.head.sha);
    });

    probot.on(['check_run.completed', 'check_run.rerequested'], async (context) => {
      const run = context.payload.check_run;
      if (run.name === CONFIG_CHECK_NAME && context.payload.action === 'completed') return report({ event: context.name, outcome: 'ignored', why: 'our own stagegate/config check' });
      const ours = run.name === CHECK_NAME;
      if (context.payload.action === 'completed' && ours) return report({ event: context.name, outcome: 'ignored', why: 'our own check run' });
      if (context.payload.action === 'rerequested' && !ours) return report({ event: context.name, outcome: 'ignored', why: 'a re-run of another app’s check' });
      const known = hint(context.payload.repository.full_name);
      if (!ours && known && !known.stages.some((s) => s.checks.includes(run.name))) {
        return report({ event: context.name, outcome: 'ignored', why: `no stage requires the check "${run.name}"` });
      }
      await gateOpenPullsForSha(context, run.head_sha, run.pull_requests as unknown as PrRef[], ours ? 'pull_request' : 'check_run');
    });

    probot.on('check_suite.completed', async (context) => {
      // Our own check run completes our own suite: re-evaluating on that would loop forever.
      if (context.payload.check_suite.app?.id === (await appId())) return report({ event: context.name, outcome: 'ignored', why: 'our own check suite' });
      const known = hint(context.payload.repository.full_name);
      if (known && !canChange('check_suite', known)) return report({ event: context.name, outcome: 'ignored', why: 'no stage requires checks' });
      const suite = context.payload.check_suite;
      await gateOpenPullsForSha(context, suite.head_sha, suite.pull_requests as unknown as PrRef[], 'check_suite');
    });

    probot.on('status', async (context) => {
      const known = hint(context.payload.repository.full_name);
      if (known && !known.stages.some((s) => s.checks.includes(context.payload.context))) {
        return report({ event: context.name, outcome: 'ignored', why: `no stage requires the status "${context.payload.context}"` });
      }
      await gateOpenPullsForSha(context, context.payload.sha, [], 'status');
    });

    /** Re-evaluates the open promotions whose `verified_in` is `env`. */
    async function gateDependants(context: Context, env: string, event: GateEvent): Promise<void> {
      const p = context.payload as unknown as RepoPayload;
      const { owner, repo, defaultBranch } = repoOf(p);
      let config = hint(p.repository.full_name);
      if (!config) {
        const loaded = await loadConfig({ source: githubConfigSource(clientOf(context), { cache: deps.cache }), owner, repo, baseRef: defaultBranch, defaultBranch });
        config = loaded.kind === 'ok' ? loaded.config : null;
        if (config) deps.onPolicy?.(p.repository.full_name, config);
      }
      const stages = (config?.stages ?? []).filter((s) => s.verified_in === env && rulesAffectedBy(event, s, config!).length > 0);
      for (const stage of stages) {
        const res = await clientOf(context).request('GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'open', base: stage.branch, head: `${owner}:${stage.from}`, per_page: 100 });
        for (const pr of res.data as { number: number; head: { sha: string } }[]) await gate(context, pr.number, event, pr.head.sha);
      }
    }

    probot.on('deployment_status', async (context) => {
      const p = context.payload;
      const appended = await recordDeploymentStatus(deps, clientOf(context), {
        repository: p.repository.full_name,
        deployment: p.deployment as unknown as DeploymentStatusEvent['deployment'],
        status: p.deployment_status as unknown as DeploymentStatusEvent['status'],
      });
      report({ event: context.name, outcome: 'recorded', appended });
      if (p.deployment_status.state !== 'success' && p.deployment_status.state !== 'failure' && p.deployment_status.state !== 'error' && p.deployment_status.state !== 'inactive') return;
      await gateDependants(context, p.deployment.environment, 'deployment_status');
    });

    probot.on('workflow_run.completed', async (context) => {
      const run = context.payload.workflow_run;
      const { owner, repo, defaultBranch } = repoOf(context.payload as unknown as RepoPayload);
      const settled = await settleRun(deps, clientOf(context), { owner, repo }, { id: run.id, displayTitle: run.display_title ?? '', path: run.path });
      if (settled.environments.length === 0) return report({ event: context.name, outcome: 'ignored', why: `run ${run.id} deploys no Stagegate deployment` });
      report({ event: context.name, outcome: 'recorded', appended: settled.recorded });
      // A deployment verified by this run (trusted evidence) publishes its stage's Release.
      for (const { deployment: d, verdict } of settled.verified) {
        const info = {
          id: d.id,
          sha: d.sha,
          ref: d.ref ?? d.sha,
          environment: d.environment,
          createdAt: d.created_at,
          payload: d.payload,
          creator: d.creator?.login ?? null,
          performedViaApp: d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null,
        };
        const repoUrl = (context.payload.repository as { html_url: string }).html_url;
        await queue.run(`${owner}/${repo}:release`, async () => {
          const result = await publishRelease(deps, clientOf(context), { owner, repo, defaultBranch, repoUrl }, info, verdict).catch((err: unknown): ReleaseOutcome => ({
            kind: 'failed',
            why: (err as Error).message,
          }));
          report({ event: context.name, outcome: 'release', deploymentId: d.id, result });
        });
      }
      for (const env of settled.environments) await gateDependants(context, env, 'workflow_run');
    });

    probot.on('push', async (context) => {
      const p = context.payload;
      if (!p.ref.startsWith('refs/heads/') || p.deleted) return report({ event: context.name, outcome: 'ignored', why: 'not a branch update' });
      const branch = p.ref.slice('refs/heads/'.length);
      const { owner, repo, defaultBranch } = repoOf(p as unknown as RepoPayload);
      const known = hint(p.repository.full_name);
      if (known && !known.stages.some((s) => s.from === branch)) return report({ event: context.name, outcome: 'ignored', why: `no stage promotes from ${branch}` });
      await queue.run(`${owner}/${repo}:standing:${branch}`, async () => {
        const results = await keepStandingPrs(deps, { client: clientOf(context), owner, repo, defaultBranch, branch, after: p.after, repoUrl: p.repository.html_url });
        report({ event: context.name, outcome: 'standing', results });
      });
    });

    probot.on('deployment_protection_rule.requested', async (context) => {
      const p = context.payload;
      const { owner, repo } = repoOf(p as unknown as RepoPayload);
      if (!p.environment || !p.deployment_callback_url || !p.deployment)
        return report({ event: context.name, outcome: 'ignored', why: 'the request names no environment, deployment or callback URL' });
      const outcome = await reviewProtectionRule(deps, {
        client: clientOf(context),
        owner,
        repo,
        environment: p.environment,
        callbackUrl: p.deployment_callback_url,
        deployment: { id: p.deployment.id, sha: p.deployment.sha, ref: p.deployment.ref },
        event: p.event ?? null,
        sender: p.sender?.login ?? null,
      });
      report({ event: context.name, outcome: 'protection-rule', result: outcome });
    });

    probot.onError((err) => {
      probot.log.error({ err }, 'stagegate: a webhook handler failed');
    });
  };
  return app;
}
