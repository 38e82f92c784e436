import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What a deployed release does: its version and the share of `/api` requests it answers with 500. */
export interface Release {
  version: string;
  /** 0 for a healthy release, e.g. 0.3 for one that fails 30% of requests. */
  errorRatio: number;
}

/** A running demo service. */
export interface DemoService {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** `127.0.0.1:PORT`, the scrape target for Prometheus. */
  target: string;
  /** The release running now. */
  release(): Release;
  /** Switches the running release (what a deploy does). */
  deploy(release: Release): void;
  /** Every release deployed, oldest first. */
  history(): Release[];
  /** Starts a bounded traffic generator against `/api`. */
  startTraffic(opts?: TrafficOptions): Traffic;
  stop(): Promise<void>;
}

/** Options of the traffic generator. */
export interface TrafficOptions {
  /** Requests per second (default 50). */
  rps?: number;
  /** Stops by itself after this long (default 5 minutes). */
  maxDurationMs?: number;
  /** Stops by itself after this many requests (default 100 000). */
  maxRequests?: number;
}

/** A running traffic generator. */
export interface Traffic {
  stop(): void;
  /** Responses by status code so far. */
  counts(): Record<string, number>;
}

/** Options of `startDemoService`. */
export interface DemoServiceOptions {
  /** The release running at start (default: version `initial`, healthy). */
  initial?: Release;
  /**
   * Error ratios of known versions: `POST /admin/deploy?version=V` deploys V with this ratio
   * (0 when V is not listed). Lets a deploy command switch releases by SHA.
   */
  releases?: Record<string, number>;
  /** Port to listen on (default: a free one). */
  port?: number;
}

/**
 * A small HTTP service for demos and tests, on 127.0.0.1:
 * - `GET /healthz`: `{"status":"ok","version":...}` (always healthy: the bad release is only
 *   visible in its metrics);
 * - `GET /api`: 200, or 500 for `errorRatio` of the requests (deterministic, evenly spread);
 * - `GET /metrics`: prom-client metrics, `demo_http_requests_total{route,code}` among them;
 * - `POST /admin/deploy?version=V`: switches the release (used by deploy commands);
 * - `GET /version`: the running version.
 */
export async function startDemoService(opts: DemoServiceOptions = {}): Promise<DemoService> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({ name: 'demo_http_requests_total', help: 'HTTP requests by route and status code', labelNames: ['route', 'code'], registers: [registry] });
  const info = new Gauge({ name: 'demo_release_info', help: 'The running release (value 1)', labelNames: ['version'], registers: [registry] });
  // Series exist from the start, so a ratio query has data before the first error.
  requests.labels('api', '200').inc(0);
  requests.labels('api', '500').inc(0);
  const known = opts.releases ?? {};
  let current: Release = opts.initial ?? { version: 'initial', errorRatio: 0 };
  const history: Release[] = [current];
  let served = 0;
  let failed = 0;
  const deploy = (r: Release): void => {
    if (!(r.errorRatio >= 0 && r.errorRatio <= 1)) throw new Error(`errorRatio must be within 0..1, not ${r.errorRatio}`);
    info.reset();
    info.labels(r.version).set(1);
    current = r;
    history.push(r);
  };
  deploy(current);
  history.shift();

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-release': current.version });
    res.end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/healthz') {
      requests.labels('healthz', '200').inc();
      return json(res, 200, { status: 'ok', version: current.version });
    }
    if (req.method === 'GET' && url.pathname === '/api') {
      served++;
      // Fail exactly errorRatio of the requests, evenly spread.
      const fail = Math.floor(served * current.errorRatio) > failed;
      if (fail) failed++;
      const code = fail ? 500 : 200;
      requests.labels('api', String(code)).inc();
      return json(res, code, fail ? { error: 'internal error', version: current.version } : { ok: true, version: current.version });
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const text = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      return void res.end(text);
    }
    if (req.method === 'GET' && url.pathname === '/version') return json(res, 200, { version: current.version });
    if (req.method === 'POST' && url.pathname === '/admin/deploy') {
      const version = url.searchParams.get('version');
      if (!version) return json(res, 400, { error: 'version is required' });
      deploy({ version, errorRatio: known[version] ?? 0 });
      served = 0;
      failed = 0;
      return json(res, 200, { deployed: version, errorRatio: current.errorRatio });
    }
    json(res, 404, { error: 'not found' });
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const generators = new Set<Traffic>();

  const startTraffic = (t: TrafficOptions = {}): Traffic => {
    const rps = t.rps ?? 50;
    const maxRequests = t.maxRequests ?? 100_000;
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const counts: Record<string, number> = {};
    let sent = 0;
    let stopped = false;
    const tick = setInterval(() => {
      if (stopped || sent >= maxRequests) return traffic.stop();
      const batch = Math.max(1, Math.round(rps / 20));
      for (let i = 0; i < batch && sent < maxRequests; i++) {
        sent++;
        const req = request(`${url}/api`, { agent }, (res) => {
          counts[String(res.statusCode)] = (counts[String(res.statusCode)] ?? 0) + 1;
          res.resume();
        });
        req.on('error', () => {
          counts.error = (counts.error ?? 0) + 1;
        });
        req.end();
      }
    }, 50);
    const limit = setTimeout(() => traffic.stop(), t.maxDurationMs ?? 5 * 60_000);
    const traffic: Traffic = {
      stop() {
        if (stopped) return;
        stopped = true;
        clearInterval(tick);
        clearTimeout(limit);
        agent.destroy();
        generators.delete(traffic);
      },
      counts: () => ({ ...counts }),
    };
    generators.add(traffic);
    return traffic;
  };

  return {
    url,
    target: `127.0.0.1:${port}`,
    release: () => current,
    deploy,
    history: () => [...history],
    startTraffic,
    async stop() {
      for (const g of [...generators]) g.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
