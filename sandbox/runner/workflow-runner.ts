import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { GitHubSandbox } from '../github-sandbox.js';
import { repoJson } from '../json/repos.js';
import { orgJson, userJson } from '../json/users.js';
import type { Account, RepoState } from '../state.js';
import { resolveAction } from './actions.js';
import { ProtectionGates, type GateOutcome } from './protection-gates.js';
import { validateDispatch, type WorkflowDoc } from './dispatch.js';
import { ConcurrencyGroups, concurrencyOf } from './concurrency.js';
import { enterEnvironment, leaveEnvironment, type EnteredEnvironment, type JobEnvironmentSpec } from './environments.js';
import { parseCommandFile, stringMap, substitute } from './expressions.js';
import type { ActionEntry, WorkflowRun } from './types.js';
import { workflowJson, workflowRunJson } from '../json/runs.js';

export { parseCommandFile, substitute } from './expressions.js';
export { workflowIdOf } from './dispatch.js';
export type { ActionEntry, StepResult, WorkflowRun } from './types.js';

/** Runs `workflow_dispatch` workflows as a runner would: a checkout, a runner's environment, each step a child process. */
export class WorkflowRunner {
  readonly runs: WorkflowRun[] = [];
  /** Runs from before the sandbox started (a test world's starting state): served by the runs API, never run. */
  readonly history: WorkflowRun[] = [];
  readonly actions = new Map<string, ActionEntry>();
  active = 0;
  /** Milliseconds a run may take before it is killed (GitHub's job timeout). */
  timeoutMs = 10 * 60_000;
  /** How long a job waits for an environment's custom protection rules (GitHub: 30 days). */
  protectionRuleTimeoutMs = 30 * 24 * 3600_000;
  private children = new Set<ChildProcess>();
  private readonly runChildren = new Map<number, Set<ChildProcess>>();
  private readonly cancelled = new Set<number>();
  private readonly concurrency = new ConcurrencyGroups((run) => this.cancel(run));
  private runNumber = 0;
  private offline = false;
  private readonly waiting: (() => void)[] = [];
  private readonly gates = new ProtectionGates();

  /** The GITHUB_API_URL runs are given (default the sandbox's own): e.g. a host only the runner's proxy can reach. */
  apiUrl: string | null = null;

  constructor(
    private readonly sb: GitHubSandbox,
    private readonly extraEnv: Record<string, string>,
  ) {}

  async stopAll(): Promise<void> {
    for (const run of this.runs) if (run.status === 'pending') this.cancel(run);
    for (const c of this.children) if (c.pid) process.kill(-c.pid, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (this.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** Validates a dispatch as GitHub does and starts the run (resolves once it is queued). */
  async dispatch(r: RepoState, workflowId: string, ref: string, rawInputs: Record<string, unknown>, actor: Account): Promise<WorkflowRun> {
    const { sha, branch, path, doc, inputs } = await validateDispatch(r, workflowId, ref, rawInputs);
    const id = this.sb.nextId() + 90_000_000;
    const repo = `${r.owner.login}/${r.name}`;
    const workflowName = doc.name ?? path ?? '';
    const runNameExpr = typeof (doc as { 'run-name'?: unknown })['run-name'] === 'string' ? String((doc as { 'run-name'?: unknown })['run-name']) : null;
    // run-name may use inputs and the github context, as GitHub evaluates it when the run is created.
    const displayTitle = runNameExpr
      ? substitute(runNameExpr, {
          inputs,
          token: '',
          secrets: new Map(),
          sha,
          ref: `refs/heads/${branch}`,
          repository: repo,
          actor: actor.login,
          runId: id,
          workflow: workflowName,
          stepOutputs: () => undefined,
        })
      : workflowName;
    const now = new Date().toISOString();
    const run: WorkflowRun = {
      id,
      runNumber: ++this.runNumber,
      repo,
      workflowPath: path ?? '',
      workflowName,
      displayTitle,
      event: 'workflow_dispatch',
      updatedAt: now,
      environments: [],
      ref: `refs/heads/${branch}`,
      headSha: sha,
      inputs,
      actor: actor.login,
      status: 'queued',
      conclusion: null,
      outputs: {},
      summary: '',
      stdout: '',
      stderr: '',
      steps: [],
      error: null,
      workspace: '',
      concurrencyGroup: null,
      createdAt: now,
      completedAt: null,
    };
    const expr = (s: string): string =>
      substitute(s, { inputs, token: '', secrets: new Map(), sha, ref: run.ref, repository: run.repo, actor: actor.login, runId: run.id, workflow: run.workflowName, stepOutputs: () => undefined });
    const spec = concurrencyOf(doc, expr);
    run.concurrencyGroup = spec?.group ?? null;
    this.runs.push(run);
    await this.emitRun(r, run, 'requested', actor);
    const start = (): void => {
      this.active++;
      this.concurrency.admit(run, spec, () => {
        void this.execute(r, run, doc, actor).finally(() => {
          this.active--;
          this.concurrency.finished(run);
          this.sb.events.emit('change');
        });
      });
    };
    if (this.offline) this.waiting.push(start);
    else start();
    return run;
  }

  /**
   * No runner picks up jobs (as on GitHub when no runner is online or every one is busy): dispatched
   * runs stay `queued` until {@link WorkflowRunner.online}. They are listed as queued meanwhile.
   */
  goOffline(): void {
    this.offline = true;
  }

  /** A runner is back: queued runs start, in dispatch order. */
  online(): void {
    this.offline = false;
    for (const start of this.waiting.splice(0)) start();
  }

  /** Sends `workflow_run` (`requested`, `in_progress`, `completed`) as GitHub does. */
  private async emitRun(r: RepoState, run: WorkflowRun, action: 'requested' | 'in_progress' | 'completed', actor: Account): Promise<void> {
    run.updatedAt = new Date().toISOString();
    await this.sb.emit(r, 'workflow_run', { action, workflow: workflowJson(this.sb, r, run), workflow_run: { ...(await workflowRunJson(this.sb, r, run)), referenced_workflows: [] } }, actor);
  }

  /**
   * Cancels a run as GitHub does (`POST .../actions/runs/{run_id}/cancel`, or a newer run of its concurrency
   * group): a pending one completes `cancelled` at once; a running one has its step's process group sent SIGINT,
   * then SIGTERM, then SIGKILL, runs no further step, and ends `cancelled`. False when it already completed.
   */
  cancel(run: WorkflowRun): boolean {
    if (run.status === 'completed') return false;
    if (run.status === 'pending') {
      this.concurrency.drop(run);
      Object.assign(run, { status: 'completed', conclusion: 'cancelled', completedAt: new Date().toISOString() });
      this.active--;
      this.sb.events.emit('change');
      return true;
    }
    this.cancelled.add(run.id);
    const signal = (sig: NodeJS.Signals): void => {
      for (const c of this.runChildren.get(run.id) ?? []) {
        try {
          if (c.pid && c.exitCode === null) process.kill(-c.pid, sig);
        } catch {
          /* gone */
        }
      }
    };
    signal('SIGINT');
    setTimeout(() => signal('SIGTERM'), 2500).unref();
    setTimeout(() => signal('SIGKILL'), 5000).unref();
    return true;
  }
  /** Every run the runs API knows: the history, then the runs of this sandbox. */
  allRuns(): WorkflowRun[] {
    return [...this.history, ...this.runs];
  }

  /** Resolves when `rules` protection rules of the job's environment approved, one rejected, or `ms` passed. */
  waitForGate(runId: number, environment: string, rules: number, ms: number): Promise<GateOutcome> {
    return this.gates.wait(runId, environment, rules, ms);
  }

  /** An app's review of a waiting job (`POST .../actions/runs/{run_id}/deployment_protection_rule`); false when nothing waits. */
  review(runId: number, environment: string, app: string, state: 'approved' | 'rejected' | null, comment: string): boolean {
    const rec = this.runs.find((x) => x.id === runId)?.environments.find((e) => e.environment === environment && e.state === 'waiting');
    if (!rec || !this.gates.waiting(runId, environment)) return false;
    rec.reviews.push({ app, state, comment, at: new Date().toISOString() });
    return this.gates.review(runId, environment, state);
  }

  private async execute(r: RepoState, run: WorkflowRun, doc: WorkflowDoc, actor: Account): Promise<void> {
    const root = await mkdtemp(join(tmpdir(), 'sbx-run-'));
    const workspace = join(root, 'workspace', r.name);
    const temp = join(root, 'temp');
    run.workspace = workspace;
    run.status = 'in_progress';
    this.sb.events.emit('change');
    await this.emitRun(r, run, 'in_progress', actor);
    try {
      await mkdir(temp, { recursive: true });
      await r.git.checkout(run.headSha, workspace, run.ref.replace(/^refs\/heads\//, ''));
      const inst = this.sb.installationFor(r.owner);
      const token = this.sb.issueInstallationToken(inst.id, this.sb.actionsApp).token;
      const eventPath = join(temp, 'event.json');
      const event = {
        inputs: run.inputs,
        ref: run.ref,
        repository: repoJson(this.sb.bases, r),
        organization: r.owner.type === 'Organization' ? orgJson(this.sb.bases, r.owner) : undefined,
        sender: userJson(this.sb.bases, actor),
        workflow: run.workflowPath,
        installation: { id: inst.id },
      };
      await writeFile(eventPath, JSON.stringify(event, null, 2));
      const jobs = Object.entries(doc.jobs ?? {});
      if (jobs.length === 0) throw new Error('workflow has no jobs');
      const deadline = Date.now() + this.timeoutMs;
      let failed = false;
      for (const [jobName, job] of jobs) {
        const steps = job.steps ?? [];
        let secrets = r.secrets;
        const expr = (s: string): string =>
          substitute(s, {
            inputs: run.inputs,
            token,
            secrets,
            sha: run.headSha,
            ref: run.ref,
            repository: run.repo,
            actor: actor.login,
            runId: run.id,
            workflow: run.workflowName,
            stepOutputs: (id) => run.steps.find((x) => x.id === id)?.outputs,
          });
        const baseEnv: Record<string, string> = {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: process.env.HOME ?? root,
          ...this.extraEnv,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_API_URL: this.apiUrl ?? this.sb.apiUrl,
          GITHUB_SERVER_URL: this.sb.url,
          GITHUB_GRAPHQL_URL: `${this.sb.url}/api/graphql`,
          GITHUB_REPOSITORY: run.repo,
          GITHUB_REPOSITORY_OWNER: r.owner.login,
          GITHUB_REPOSITORY_ID: String(r.id),
          GITHUB_RUN_ID: String(run.id),
          GITHUB_RUN_NUMBER: String(run.runNumber),
          GITHUB_RUN_ATTEMPT: '1',
          GITHUB_SHA: run.headSha,
          GITHUB_REF: run.ref,
          GITHUB_REF_NAME: run.ref.replace(/^refs\/heads\//, ''),
          GITHUB_REF_TYPE: 'branch',
          GITHUB_WORKSPACE: workspace,
          GITHUB_EVENT_NAME: 'workflow_dispatch',
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_WORKFLOW: run.workflowName,
          GITHUB_WORKFLOW_REF: `${run.repo}/${run.workflowPath}@${run.ref}`,
          GITHUB_JOB: jobName,
          GITHUB_ACTOR: actor.login,
          GITHUB_TRIGGERING_ACTOR: actor.login,
          GITHUB_TOKEN: token,
          RUNNER_OS: 'Linux',
          RUNNER_ARCH: 'X64',
          RUNNER_NAME: 'sandbox-runner',
          RUNNER_TEMP: temp,
          RUNNER_TOOL_CACHE: join(root, 'tool-cache'),
          ...stringMap(doc.env, expr),
          ...stringMap(job.env, expr),
        };
        const envSpec = (job as { environment?: JobEnvironmentSpec }).environment;
        let entered: EnteredEnvironment | null = null;
        if (envSpec !== undefined) {
          const gate = await enterEnvironment(this.sb, r, run, jobName, envSpec, expr, actor, this.protectionRuleTimeoutMs);
          entered = gate.entered;
          if (gate.error) {
            run.error = gate.error;
            run.stderr += `${gate.error}\n`;
            failed = true;
            continue;
          }
          // Environment secrets override repository secrets of the same name.
          secrets = new Map([...r.secrets, ...gate.entered.env.secrets]);
        }
        if ((job as { concurrency?: unknown }).concurrency !== undefined) throw new Error(`job ${jobName}: job-level concurrency is not supported by the sandbox runner`);
        for (let i = 0; i < steps.length; i++) {
          if (this.cancelled.has(run.id)) break;
          const step = steps[i] ?? {};
          const name = typeof step.name === 'string' ? step.name : typeof step.uses === 'string' ? `Run ${step.uses}` : `Step ${i + 1}`;
          const id = typeof step.id === 'string' ? step.id : null;
          const cond = typeof step.if === 'string' ? step.if.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim() : 'success()';
          const runIt = cond === 'always()' ? true : cond === 'failure()' ? failed : cond === 'success()' ? !failed : null;
          if (runIt === null) throw new Error(`step "${name}": unsupported if: ${String(step.if)}`);
          if (!runIt) {
            run.steps.push({ name, id, conclusion: 'skipped', exitCode: null, outputs: {}, stdout: '', stderr: '' });
            continue;
          }
          const outFile = join(temp, `output-${i}`);
          const summaryFile = join(temp, `summary-${i}`);
          await writeFile(outFile, '');
          await writeFile(summaryFile, '');
          const env: Record<string, string> = {
            ...baseEnv,
            ...stringMap(step.env as Record<string, unknown> | undefined, expr),
            GITHUB_OUTPUT: outFile,
            GITHUB_STEP_SUMMARY: summaryFile,
            GITHUB_ENV: join(temp, `env-${i}`),
            GITHUB_PATH: join(temp, `path-${i}`),
            GITHUB_STATE: join(temp, `state-${i}`),
            GITHUB_ACTION: id ?? `__run_${i}`,
          };
          let cmd: string[];
          if (typeof step.uses === 'string') {
            if (/^actions\/checkout@/.test(step.uses)) {
              const want = stringMap(step.with as Record<string, unknown> | undefined, expr).ref;
              let checkedOut = run.headSha;
              if (want) {
                const sha = (await r.git.resolve(want)) ?? (await r.git.resolve(`refs/heads/${want}`));
                if (!sha) throw new Error(`actions/checkout: ref ${want} not found`);
                await r.git.checkoutIn(workspace, sha);
                checkedOut = sha;
              }
              run.steps.push({ name, id, conclusion: 'success', exitCode: 0, outputs: {}, stdout: `checked out ${checkedOut}\n`, stderr: '' });
              continue;
            }
            const action = await resolveAction(this.actions, step.uses, workspace);
            const withs = stringMap(step.with as Record<string, unknown> | undefined, expr);
            for (const [k, v] of Object.entries({ ...stringMap(action.defaults, expr), ...withs })) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = v;
            env.GITHUB_ACTION_PATH = dirname(action.entry);
            cmd = [process.execPath, action.entry];
          } else if (typeof step.run === 'string') {
            cmd = ['bash', '-e', '-o', 'pipefail', '-c', expr(step.run)];
          } else throw new Error(`step "${name}" has neither uses nor run`);
          const res = await this.spawnStep(cmd, workspace, env, deadline, run.id);
          const outputs = parseCommandFile(await readFile(outFile, 'utf8').catch(() => ''));
          const summary = await readFile(summaryFile, 'utf8').catch(() => '');
          run.summary += summary;
          Object.assign(run.outputs, outputs);
          run.stdout += res.stdout;
          run.stderr += res.stderr;
          const ok = res.code === 0;
          run.steps.push({ name, id, conclusion: ok ? 'success' : 'failure', exitCode: res.code, outputs, stdout: res.stdout, stderr: res.stderr });
          if (res.timedOut) {
            run.conclusion = 'timed_out';
            return;
          }
          if (!ok) failed = true;
        }
        if (entered) await leaveEnvironment(this.sb, r, run, entered, !failed);
      }
      run.conclusion = this.cancelled.has(run.id) ? 'cancelled' : failed ? 'failure' : 'success';
    } catch (err) {
      run.error = err instanceof Error ? err.message : String(err);
      run.stderr += `${run.error}\n`;
      run.conclusion = this.cancelled.has(run.id) ? 'cancelled' : 'failure';
    } finally {
      run.status = 'completed';
      run.completedAt = new Date().toISOString();
      if (!process.env.SANDBOX_KEEP_RUNS) await rm(root, { recursive: true, force: true }).catch(() => undefined);
      await this.emitRun(r, run, 'completed', actor).catch(() => undefined);
      this.sb.events.emit('change');
    }
  }

  private spawnStep(cmd: string[], cwd: string, env: Record<string, string>, deadline: number, runId: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
    return new Promise((resolvePromise) => {
      const [bin = 'false', ...args] = cmd;
      const child = spawn(bin, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      const mine = this.runChildren.get(runId) ?? new Set<ChildProcess>();
      this.runChildren.set(runId, mine.add(child));
      if (this.cancelled.has(runId) && child.pid) process.kill(-child.pid, 'SIGKILL'); // cancelled while the step was starting
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const timer = setTimeout(
        () => {
          timedOut = true;
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        },
        Math.max(1, deadline - Date.now()),
      );
      child.on('error', (err) => {
        stderr += `${err.message}\n`;
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        this.children.delete(child);
        mine.delete(child);
        resolvePromise({ code, stdout, stderr, timedOut });
      });
    });
  }
}
