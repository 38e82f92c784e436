import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from 'probot';
import type { AuditDatabase } from '../src/audit/types.js';
import type { Config } from '../src/config/schema.js';
import type { GitHubRequester } from '../src/github/client.js';
import { FactCache } from '../src/github/fact-cache.js';
import { botLogin } from '../src/protocol/markers.js';
import type { AppDeps, AppSelf } from './deps.js';
import { evaluateOne, nextEvaluationAt } from './gate-jobs.js';
import type { Handled, Job, JobContext } from './jobs.js';
import { pullKey } from './jobs.js';
import { KeyedQueue } from './keyed-queue.js';
import { routeEvent, type RoutableEvent } from './router.js';
import { runJob } from './work.js';
import type { WebConfig } from './web/config.js';
import { healthPageHandler } from './web/handler.js';

export type { AppDeps } from './deps.js';
export type { Handled } from './jobs.js';

/** How long a policy read during an evaluation may be used to skip events that cannot matter. */
const POLICY_HINT_TTL_MS = 10 * 60 * 1000;
/** Timers longer than this are not set; the next webhook re-evaluates anyway. */
const MAX_TIMER_MS = 7 * 24 * 3600 * 1000;

function timerSchedule(at: Date, task: () => void): { cancel(): void } {
  const t = setTimeout(task, Math.max(0, at.getTime() - Date.now()));
  t.unref();
  return { cancel: () => clearTimeout(t) };
}

/** Options of {@link createApp}. */
export interface CreateAppOptions extends Omit<AppDeps, 'self'> {
  /** This app's id (from APP_ID); read from GitHub with the app's credentials when absent. */
  appId?: number;
  /** This app's identity; read from `GET /app` when absent. */
  self?: AppSelf;
  /** Called after each handled delivery (for tests, the sandbox and logs). */
  onHandled?: (h: Handled) => void;
  /** Serves the delivery health page under `/stagegate/` (sign-in with the app's OAuth client) when given. */
  web?: { config: WebConfig; audit: Pick<AuditDatabase, 'read'> };
}

/**
 * The Stagegate Probot app: gates promotion PRs with the `stagegate` check run and comment,
 * deploys on merge, and records the audit trail. Dependencies are injected. Each delivery is routed
 * (`router.ts`, pure) to at most one job, which the handler of its event runs (`handlers/`).
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
  const policy = (repo: string): Config | null => {
    const h = policyHints.get(repo);
    return h && Date.now() - h.at < POLICY_HINT_TTL_MS ? h.config : null;
  };

  const app = (probot: Probot, appOptions?: ApplicationFunctionOptions) => {
    fetchSelf = async () => {
      const octokit = await probot.auth();
      const data = (await octokit.request('GET /app')).data as { id: number; slug: string };
      if (options.appId !== undefined && data.id !== options.appId) throw new Error(`GET /app answered app ${data.id}, but APP_ID is ${options.appId}`);
      return { id: data.id, slug: data.slug, login: botLogin(data.slug) };
    };
    if (options.web) {
      if (!appOptions?.addHandler) throw new Error('the delivery health page needs Probot’s HTTP server (run the app with probot’s run or Server)');
      const { config, audit } = options.web;
      const appId = async (): Promise<number> => options.appId ?? (await self()).id;
      appOptions.addHandler(healthPageHandler({ config, audit, chatops: options.chatops, now: options.now, appId, installationClient: (id) => probot.auth(id), log: probot.log }));
    }

    const contextFor = (client: GitHubRequester): JobContext => {
      const ctx: JobContext = {
        deps,
        client,
        log: probot.log,
        report,
        policy,
        serial: (key, task) => queue.run(key, task),
        schedule,
        gate: (job, pullNumber, event, headSha, extra) => {
          const key = pullKey(job.repo, pullNumber);
          return queue.run(key, async () => {
            const result = await evaluateOne(ctx, job, pullNumber, event, headSha, extra);
            timers.get(key)?.cancel();
            timers.delete(key);
            const at = nextEvaluationAt(deps, result, MAX_TIMER_MS);
            if (!at) return result;
            const head = result.kind === 'evaluated' ? result.result.headSha : headSha;
            timers.set(
              key,
              schedule(at, () => {
                timers.delete(key);
                ctx.gate(job, pullNumber, 'time', head).catch((err: unknown) => probot.log.error({ err }, 'stagegate: timed re-evaluation failed'));
              }),
            );
            return result;
          });
        },
      };
      return ctx;
    };

    /** Routes a delivery and runs its job. */
    const accept = async (e: RoutableEvent, client: GitHubRequester): Promise<void> => {
      const appId = e.name === 'check_suite' ? (options.appId ?? (await self()).id) : null;
      const route = routeEvent(e, { appId, policy });
      if (route.kind === 'ignore') return report({ event: e.name, outcome: 'ignored', why: route.why });
      const job: Job = route.job;
      await runJob(contextFor(client), job);
    };

    probot.on(['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize', 'pull_request.edited', 'pull_request.closed'], (c) =>
      accept({ id: c.id, name: 'pull_request', payload: c.payload }, c.octokit),
    );
    probot.on(['pull_request_review.submitted', 'pull_request_review.edited', 'pull_request_review.dismissed'], (c) =>
      accept({ id: c.id, name: 'pull_request_review', payload: c.payload }, c.octokit),
    );
    probot.on(['check_run.completed', 'check_run.rerequested'], (c) => accept({ id: c.id, name: 'check_run', payload: c.payload }, c.octokit));
    probot.on('check_suite.completed', (c) => accept({ id: c.id, name: 'check_suite', payload: c.payload }, c.octokit));
    probot.on('status', (c) => accept({ id: c.id, name: 'status', payload: c.payload }, c.octokit));
    probot.on('deployment_status', (c) => accept({ id: c.id, name: 'deployment_status', payload: c.payload }, c.octokit));
    probot.on('workflow_run.completed', (c) => accept({ id: c.id, name: 'workflow_run', payload: c.payload }, c.octokit));
    probot.on('push', (c) => accept({ id: c.id, name: 'push', payload: c.payload }, c.octokit));
    probot.on('deployment_protection_rule.requested', (c) => accept({ id: c.id, name: 'deployment_protection_rule', payload: c.payload }, c.octokit));
    probot.on('issue_comment.created', (c) => accept({ id: c.id, name: 'issue_comment', payload: c.payload }, c.octokit));

    probot.onError((err) => {
      probot.log.error({ err }, 'stagegate: a webhook handler failed');
    });
  };
  return app;
}
