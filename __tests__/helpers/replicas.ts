import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { openAuditStore } from '../../src/audit/open.js';
import type { AuditDatabase, AuditRecord } from '../../src/audit/types.js';
import { GitHubSandbox, type SandboxOptions } from '../../sandbox/github-sandbox.js';
import { startPostgres, type PostgresServer } from '../../sandbox/services/postgres.js';
import { deployWorkflow, projectRoot, startApp, type AppProcess } from '../../sandbox/stack.js';

/** What the fan-out did with one delivery: the status each app process answered (null: unreachable). */
export interface FannedDelivery {
  id: string;
  event: string;
  statuses: (number | null)[];
}

/**
 * The sandbox, one real PostgreSQL database and N real app server processes on it, behind a fan-out
 * that sends every delivery to every live process at once (replicas behind a load balancer that
 * retried, or GitHub delivering twice). The sandbox's webhook URL is the fan-out.
 */
export interface ReplicaWorld {
  sb: GitHubSandbox;
  pg: PostgresServer;
  databaseUrl: string;
  apps: (AppProcess | null)[];
  fanned: FannedDelivery[];
  actionUses: string;
  /** Starts app process `i` (again) on the database. */
  start(i: number, env?: Record<string, string>): Promise<AppProcess>;
  /** Stops app process `i`; deliveries to it fail from now on. */
  kill(i: number): Promise<void>;
  /** Opens the app's database (close it after). */
  store(): Promise<AuditDatabase>;
  records(repo: string, kind: string): Promise<AuditRecord[]>;
  /** `acme/<name>` with `policy` and the documented deploy workflow; alice, bob, carol write to it. */
  repo(name: string, policy: string): Promise<string>;
  stop(): Promise<void>;
}

/** A one-stage policy (master → staging, one approval) whose deploy only echoes. */
export const ONE_STAGE_POLICY = `stages:
  - name: staging
    branch: staging
    from: master
    signoff:
      approvals: 1
    deploy:
      command: echo "deploying $STAGEGATE_SHA"
      timeout: 30s
deploy:
  workflow: stagegate-deploy.yml
`;

export async function startReplicaWorld(opts: { replicas: number; sandbox?: SandboxOptions; env?: Record<string, string> }): Promise<ReplicaWorld> {
  const root = projectRoot();
  const sb = await GitHubSandbox.start(opts.sandbox);
  const cleanups: (() => Promise<void>)[] = [() => sb.stop()];
  try {
    const pg = await startPostgres();
    cleanups.push(() => pg.stop());
    const databaseUrl = await pg.createDatabase();
    const actionUses = 'stagegate/stagegate@v1';
    sb.registerAction(actionUses, { entry: join(root, 'dist', 'index.js'), actionYml: join(root, 'action.yml') });
    sb.createUser({ login: 'alice', name: 'Alice Developer', email: 'alice@acme.test' });
    sb.createUser({ login: 'bob', name: 'Bob Developer', email: 'bob@acme.test' });
    sb.createUser({ login: 'carol', name: 'Carol Release-Manager', email: 'carol@acme.test' });
    sb.createOrg({ login: 'acme', name: 'Acme' });
    const apps: (AppProcess | null)[] = Array.from({ length: opts.replicas }, () => null);
    const fanned: FannedDelivery[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith('x-') || k === 'content-type' || k === 'user-agent')) as Record<string, string>;
        const live = apps.filter((a): a is AppProcess => a !== null);
        void Promise.all(
          live.map((a) =>
            fetch(a.webhookUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) }).then(
              (r) => r.status,
              () => null,
            ),
          ),
        ).then((statuses) => {
          fanned.push({ id: String(req.headers['x-github-delivery']), event: String(req.headers['x-github-event']), statuses });
          const ok = statuses.find((s): s is number => s !== null && s < 300);
          // No live process answered: the connection fails, as it would with the app down.
          if (ok === undefined) return res.destroy();
          res.writeHead(ok).end();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    sb.webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const start = async (i: number, env: Record<string, string> = {}): Promise<AppProcess> => {
      const app = await startApp(sb, { root, env: { DATABASE_URL: databaseUrl, ...opts.env, ...env } });
      apps[i] = app;
      return app;
    };
    await Promise.all(apps.map((_, i) => start(i)));
    cleanups.push(async () => {
      for (const a of apps) await a?.stop();
    });
    const world: ReplicaWorld = {
      sb,
      pg,
      databaseUrl,
      apps,
      fanned,
      actionUses,
      start,
      async kill(i) {
        const a = apps[i];
        apps[i] = null;
        await a?.stop();
      },
      store: () => openAuditStore({ databaseUrl, env: {} }),
      async records(repo, kind) {
        const store = await world.store();
        try {
          const out: AuditRecord[] = [];
          for await (const r of store.records(repo)) if (r.kind === kind) out.push(r);
          return out;
        } finally {
          await store.close();
        }
      },
      async repo(name, policy) {
        const full = `acme/${name}`;
        await sb.createRepo({
          owner: 'acme',
          name,
          defaultBranch: 'master',
          branches: ['staging', 'production'],
          author: 'bob',
          files: { 'README.md': `# ${name}\n`, '.github/stagegate.yml': policy, '.github/workflows/stagegate-deploy.yml': deployWorkflow(actionUses) },
        });
        for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator(full, u, 'write');
        return full;
      },
      async stop() {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      },
    };
    return world;
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
