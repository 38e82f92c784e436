import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './ports.js';

/** A running Prometheus server on loopback. */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Temp directory holding the config and the TSDB; removed by `stop()`. */
  dir: string;
  /** Waits until every scrape target is `up` (bounded); throws naming the targets that are not. */
  waitForTargets(timeoutMs?: number): Promise<void>;
  /** Polls an instant query until `accept` returns true for its numeric values (bounded). */
  waitForQuery(query: string, accept: (values: number[]) => boolean, timeoutMs?: number): Promise<number[]>;
  /** The last lines Prometheus logged. */
  logTail(): string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes the temp directory. */
  stop(): Promise<void>;
}

/** Options of `startPrometheus`. */
export interface PrometheusOptions {
  /** Scrape targets as `host:port` (loopback only). */
  targets: string[];
  /** Scrape and evaluation interval (default `1s`). */
  scrapeInterval?: string;
  jobName?: string;
  /** Binary to run (default: `prometheus` on PATH, then /usr/bin/prometheus). */
  binary?: string;
  /** How long to wait for /-/ready (default 60 s). */
  readyTimeoutMs?: number;
}

/** Finds the prometheus binary or throws a clear error. */
export function findPrometheus(binary?: string): string {
  const candidates = binary
    ? [binary]
    : [
        ...(process.env.PATH ?? '')
          .split(delimiter)
          .filter(Boolean)
          .map((d) => join(d, 'prometheus')),
        '/usr/bin/prometheus',
      ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  throw new Error(
    `the prometheus binary is missing (looked for ${binary ?? '"prometheus" on PATH and /usr/bin/prometheus'}): install the Debian package with ` +
      '`apt-get install -y prometheus` (scripts/ensure-deps.sh does this), then `service prometheus stop`',
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

function configYaml(jobName: string, targets: string[], interval: string): string {
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    'scrape_configs:',
    `  - job_name: ${JSON.stringify(jobName)}`,
    '    static_configs:',
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}]`,
    '',
  ].join('\n');
}

/**
 * Starts a real Prometheus on 127.0.0.1 (a free port) with a temp data directory, scraping the
 * given targets every `scrapeInterval`. Verifies that the server answering on the port runs THIS
 * configuration (another instance could own the port), retrying on a new port when it does not.
 */
export async function startPrometheus(opts: PrometheusOptions): Promise<PrometheusServer> {
  const bin = findPrometheus(opts.binary);
  const jobName = opts.jobName ?? 'stagegate-test';
  const interval = opts.scrapeInterval ?? '1s';
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  await writeFile(configFile, configYaml(jobName, opts.targets, interval));
  let lastError: Error | null = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const logs: string[] = [];
    const child: ChildProcess = spawn(
      bin,
      [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h', '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (b: Buffer): void => {
      logs.push(...b.toString('utf8').split('\n').filter(Boolean));
      if (logs.length > 200) logs.splice(0, logs.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited: string | null = null;
    const exitPromise = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        exited = `exited with ${code ?? signal}`;
        resolve();
      }),
    );
    child.once('error', (err) => {
      exited = `could not start: ${err.message}`;
    });
    const stopChild = async (): Promise<void> => {
      if (exited === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exitPromise;
        clearTimeout(t);
      }
    };
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    let ready = false;
    while (Date.now() < deadline && exited === null) {
      try {
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) {
          ready = true;
          break;
        }
      } catch {
        /* not yet */
      }
      await sleep(200);
    }
    if (!ready) {
      await stopChild();
      lastError = new Error(`Prometheus on ${url} did not become ready (${exited ?? 'timed out'}); log:\n${logs.slice(-20).join('\n')}`);
      continue;
    }
    // Make sure the server on this port is ours: its configuration names our job.
    try {
      const cfg = (await getJson(`${url}/api/v1/status/config`)) as { data?: { yaml?: string } };
      if (!cfg.data?.yaml?.includes(jobName) || exited !== null) throw new Error('another Prometheus answers on this port');
    } catch (err) {
      await stopChild();
      lastError = new Error(`Prometheus on ${url} is not the one started here: ${(err as Error).message}`);
      continue;
    }
    const server: PrometheusServer = {
      url,
      port,
      dir,
      logTail: () => logs.slice(-30).join('\n'),
      async waitForTargets(timeoutMs = 60_000) {
        const until = Date.now() + timeoutMs;
        let states = 'no answer';
        while (Date.now() < until) {
          try {
            const t = (await getJson(`${url}/api/v1/targets?state=active`)) as { data?: { activeTargets?: { labels?: Record<string, string>; health?: string; lastError?: string }[] } };
            const active = t.data?.activeTargets ?? [];
            const ours = opts.targets.map((target) => active.find((a) => a.labels?.instance === target));
            states = opts.targets.map((target, i) => `${target}: ${ours[i]?.health ?? 'not listed'}${ours[i]?.lastError ? ` (${ours[i]!.lastError})` : ''}`).join(', ');
            if (ours.every((a) => a?.health === 'up')) return;
          } catch (err) {
            states = (err as Error).message;
          }
          await sleep(250);
        }
        throw new Error(`Prometheus targets not up within ${timeoutMs} ms: ${states}`);
      },
      async waitForQuery(query, accept, timeoutMs = 60_000) {
        const until = Date.now() + timeoutMs;
        let last = 'no answer';
        while (Date.now() < until) {
          try {
            const r = (await getJson(`${url}/api/v1/query?${new URLSearchParams({ query })}`)) as { data?: { result?: { value?: [number, string] }[] } };
            const values = (r.data?.result ?? []).map((s) => Number(s.value?.[1]));
            last = JSON.stringify(values);
            if (accept(values)) return values;
          } catch (err) {
            last = (err as Error).message;
          }
          await sleep(250);
        }
        throw new Error(`Prometheus query ${query} did not reach the expected values within ${timeoutMs} ms (last: ${last})`);
      },
      async stop() {
        await stopChild();
        await rm(dir, { recursive: true, force: true });
      },
    };
    return server;
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError ?? new Error('Prometheus could not be started');
}
