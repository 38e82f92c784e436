import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_NAME_EXPRESSION, RUN_NAME_EXPRESSION_PROTECTED } from '../src/protocol/dispatch.js';
import { GitHubSandbox, type SandboxOptions } from './github-sandbox.js';
import { projectRoot } from './project-root.js';

export { projectRoot } from './project-root.js';

/** The real Stagegate app server as a child process, pointed at a sandbox as a GitHub Enterprise host. */
export interface AppProcess {
  url: string;
  port: number;
  webhookUrl: string;
  /** The delivery health page (sign-in through the sandbox's OAuth web flow). */
  pageUrl: string;
  dataDir: string;
  logs(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/**
 * Starts `node lib/app/server.js` with the sandbox's app credentials and waits for `/ping`. The
 * app's data (the embedded audit store) goes to a temporary directory removed on `stop()`, or to
 * `dataDir`, which is kept (the demo keeps its audit trail for the commands it prints).
 */
export async function startApp(sb: GitHubSandbox, opts: { root?: string; logLevel?: string; env?: Record<string, string>; dataDir?: string } = {}): Promise<AppProcess> {
  const root = opts.root ?? projectRoot();
  const server = join(root, 'lib', 'app', 'server.js');
  if (!existsSync(server)) throw new Error(`${server} is missing: build first with \`npx tsc -p tsconfig.build.json\``);
  const keepData = opts.dataDir !== undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'stagegate-app-')));
  if (keepData) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const logs: string[] = [];
  // The delivery health page signs in with the app's OAuth client; its callback is registered on the app, as on GitHub.
  const publicUrl = `http://127.0.0.1:${port}`;
  sb.oauth.registerCallback(`${publicUrl}/stagegate/auth/callback`);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dataDir,
    NODE_ENV: 'production',
    APP_ID: String(sb.app.id),
    PRIVATE_KEY: sb.app.privateKey,
    WEBHOOK_SECRET: sb.app.webhookSecret,
    GHE_HOST: sb.host,
    GHE_PROTOCOL: 'http',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: opts.logLevel ?? 'warn',
    LOG_FORMAT: 'json',
    STAGEGATE_DATA_DIR: dataDir,
    GITHUB_CLIENT_ID: sb.app.clientId,
    GITHUB_CLIENT_SECRET: sb.oauth.clientSecret,
    STAGEGATE_URL: publicUrl,
    ...opts.env,
  };
  const child: ChildProcess = spawn(process.execPath, [server], { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (b: Buffer): void => {
    logs.push(...b.toString('utf8').split('\n').filter(Boolean));
    if (logs.length > 500) logs.splice(0, logs.length - 500);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  const exitP = new Promise<void>((r) => child.once('exit', (code, sig) => ((exited = `exited with ${code ?? sig}`), r())));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`the app ${exited}:\n${logs.slice(-20).join('\n')}`);
    try {
      const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app did not answer ${url}/ping within 30 s:\n${logs.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    webhookUrl: `${url}/api/github/webhooks`,
    pageUrl: `${url}/stagegate/`,
    dataDir,
    logs: () => logs.join('\n'),
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitP;
        clearTimeout(t);
      }
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A sandbox with the real app receiving its webhooks and the real Action bundle behind `uses:`. */
export interface Stack {
  sb: GitHubSandbox;
  app: AppProcess;
  /** The `uses:` the deploy workflow names for the companion Action. */
  actionUses: string;
  stop(): Promise<void>;
}

/** Starts the sandbox and the app, and registers `dist/index.js` as the Action. */
export async function startStack(opts: { sandbox?: SandboxOptions; logLevel?: string; root?: string; appDataDir?: string } = {}): Promise<Stack> {
  const root = opts.root ?? projectRoot();
  const bundle = join(root, 'dist', 'index.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: the Action bundle must be built (npm run bundle)`);
  const sb = await GitHubSandbox.start(opts.sandbox);
  let app: AppProcess;
  try {
    app = await startApp(sb, { root, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}), ...(opts.appDataDir !== undefined ? { dataDir: opts.appDataDir } : {}) });
  } catch (err) {
    await sb.stop();
    throw err;
  }
  sb.webhookUrl = app.webhookUrl;
  const actionUses = 'stagegate/stagegate@v1';
  sb.registerAction(actionUses, { entry: bundle, actionYml: join(root, 'action.yml') });
  return {
    sb,
    app,
    actionUses,
    async stop() {
      await sb.stop();
      await app.stop();
    },
  };
}

/**
 * The deploy workflow as docs/action.md documents it, with `uses:` pointing at the registered bundle.
 * `dispatch` mode (default): the app creates the deployment and dispatches with its id. `protection_rule`
 * mode: the job uses the stage's environment; GitHub creates the deployment and asks the app.
 */
export function deployWorkflow(actionUses: string, opts: { mode?: 'dispatch' | 'protection_rule'; app?: string; secrets?: string[] } = {}): string {
  const prot = opts.mode === 'protection_rule';
  const runName = prot ? RUN_NAME_EXPRESSION_PROTECTED : RUN_NAME_EXPRESSION;
  return `name: stagegate-deploy
run-name: "${runName}"
on:
  workflow_dispatch:
    inputs:
      environment:
        description: Stage to deploy (sent by the Stagegate app)
        required: true
        type: string
      sha:
        description: Approved commit SHA (the promotion's merge commit)
        required: true
        type: string
      deployment_id:
        description: ${prot ? 'Empty in protection-rule mode (GitHub creates the deployment for the job)' : 'GitHub Deployment created by the app'}
        required: ${prot ? 'false' : 'true'}
        type: string${prot ? "\n        default: ''" : ''}
      pull_request:
        description: Promotion pull request number
        required: false
        type: string
        default: ''
permissions:
  contents: read
  deployments: write
  pull-requests: write
  issues: write
  actions: read
concurrency:
  group: stagegate-deploy-\${{ inputs.environment }}
  cancel-in-progress: false
jobs:
  deploy:
    runs-on: ubuntu-latest${prot ? '\n    environment:\n      name: \${{ inputs.environment }}' : ''}
    steps:
      - uses: actions/checkout@v4
        with:
          ref: \${{ inputs.sha }}
      - id: stagegate
        uses: ${actionUses}${opts.secrets?.length ? `\n        env:\n${opts.secrets.map((n) => `          ${n}: \${{ secrets.${n} }}`).join('\n')}` : ''}
        with:
          app: ${opts.app ?? 'stagegate'}
          environment: \${{ inputs.environment }}
          sha: \${{ inputs.sha }}
          deployment-id: \${{ inputs.deployment_id }}
          pull-request: \${{ inputs.pull_request }}
      - if: always()
        run: echo "result=\${{ steps.stagegate.outputs.result }} reason=\${{ steps.stagegate.outputs.reason-code }}"
`;
}
