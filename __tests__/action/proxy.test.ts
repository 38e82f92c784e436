import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionRepo, appDeploys, deploysOf, mergedPromotion, startActionWorld, statesOf, type ActionWorld } from './action-world.js';
import { ROOT } from './harness.js';

// The bundled Action behind an HTTP proxy, as on a self-hosted runner that reaches GitHub only
// through one: the API host name below resolves nowhere but in the proxy, which tunnels CONNECT
// requests for it to the sandbox. The Action's API client loads the real undici (dist/undici.cjs)
// for the proxy dispatcher only then; without a proxy Node's own fetch serves and undici.cjs is
// never read.

const API_HOST = 'api.github.proxied.invalid';

interface Proxy {
  url: string;
  /** `host:port` of every CONNECT tunnel opened. */
  tunnels: string[];
  stop(): Promise<void>;
}

/** A CONNECT proxy that knows one host: API_HOST, tunnelled to 127.0.0.1 on the port `targetPort()` names. */
async function startProxy(targetPort: () => number): Promise<Proxy> {
  const tunnels: string[] = [];
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req, client, head) => {
    const host = (req.url ?? '').split(':')[0];
    tunnels.push(req.url ?? '');
    if (host !== API_HOST) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(targetPort(), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const STAGE = ['name: staging', 'branch: staging', 'from: master', 'deploy:', '  command: bash ./deploy.sh', '  timeout: 30s', 'auto_rollback: false', ''].join('\n');

let tmp: string;
let withoutUndici: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'stagegate-proxy-'));
  // The committed bundle without its undici.cjs.
  withoutUndici = join(tmp, 'dist-without-undici');
  await mkdir(withoutUndici);
  for (const f of ['index.js', 'package.json']) await copyFile(join(ROOT, 'dist', f), join(withoutUndici, f));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A world whose runs know the API only as API_HOST, behind a proxy given as http_proxy and https_proxy. */
async function proxiedWorld(dist?: string): Promise<{ w: ActionWorld; proxy: Proxy; stop(): Promise<void> }> {
  let sandboxPort = 0;
  const proxy = await startProxy(() => sandboxPort);
  const w = await startActionWorld({ http_proxy: proxy.url, https_proxy: proxy.url, no_proxy: '' }, dist ? { dist } : {});
  const api = new URL(w.sb.apiUrl);
  sandboxPort = Number(api.port);
  w.sb.runner.apiUrl = `http://${API_HOST}:${api.port}${api.pathname}`;
  return {
    w,
    proxy,
    stop: async () => {
      await w.stop();
      await proxy.stop();
    },
  };
}

describe('the bundled action behind a proxy (http_proxy / https_proxy)', () => {
  it('reaches the API only through the proxy, and deploys', async () => {
    const { w, proxy, stop } = await proxiedWorld();
    try {
      // Nothing but the proxy knows the host.
      await expect(fetch(`http://${API_HOST}:${new URL(w.sb.apiUrl).port}/api/v3/`)).rejects.toThrow();
      const repo = await actionRepo(w, 'proxied');
      const p = await mergedPromotion(w, repo, { 'release.txt': 'v1\n' });
      const { deploymentId, run } = await appDeploys(w, repo, p, STAGE);
      expect(w.sb.violations).toEqual([]);
      expect({ conclusion: run.conclusion, result: run.outputs.result, reason: run.outputs['reason-code'] }).toEqual({ conclusion: 'success', result: 'success', reason: 'ok' });
      expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'success']);
      expect(deploysOf(run).map((d) => d[1])).toEqual([p.merge]);
      // Every API request of the run went through tunnels to the API host (keep-alive may reuse one).
      expect(proxy.tunnels.length).toBeGreaterThan(0);
      expect(new Set(proxy.tunnels)).toEqual(new Set([`${API_HOST}:${new URL(w.sb.apiUrl).port}`]));
    } finally {
      await stop();
    }
  }, 240_000);

  it('fails, deploying nothing, when the bundle has no undici.cjs beside it', async () => {
    const { w, proxy, stop } = await proxiedWorld(withoutUndici);
    try {
      const repo = await actionRepo(w, 'proxied');
      const p = await mergedPromotion(w, repo, { 'release.txt': 'v1\n' });
      const { deploymentId, run } = await appDeploys(w, repo, p, STAGE);
      expect(run.conclusion).toBe('failure');
      expect(`${run.stdout}\n${run.stderr}`).toContain('undici.cjs could not be loaded');
      expect(deploysOf(run)).toEqual([]);
      expect(statesOf(w, repo, deploymentId)).toEqual(['queued']);
      expect(proxy.tunnels).toEqual([]);
    } finally {
      await stop();
    }
  }, 240_000);

  it('without a proxy, the bundle needs no undici.cjs (it is loaded only for a proxy)', async () => {
    const w = await startActionWorld({}, { dist: withoutUndici });
    try {
      const repo = await actionRepo(w, 'direct');
      const p = await mergedPromotion(w, repo, { 'release.txt': 'v1\n' });
      const { deploymentId, run } = await appDeploys(w, repo, p, STAGE);
      expect(w.sb.violations).toEqual([]);
      expect(run.outputs.result).toBe('success');
      expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'success']);
    } finally {
      await w.stop();
    }
  }, 240_000);
});
