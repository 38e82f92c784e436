import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { commandSmokeSchema, httpSmokeSchema } from '../../src/config/schema.js';
import { jsonPath, mapLimit, runSmokeCheck, runSmokeChecks, type SmokeOptions } from '../../src/verify/smoke.js';

// Smoke tests against a real HTTP service on loopback.

let server: Server;
let base: string;
let flakyCalls = 0;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-release': 'v2' });
      return void res.end(JSON.stringify({ status: 'ok', build: { sha: 'abc', n: 3 }, items: [{ id: 'first' }] }));
    }
    if (url.pathname === '/error') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return void res.end(`upstream unavailable ${'x'.repeat(2000)}`);
    }
    if (url.pathname === '/flaky') {
      flakyCalls++;
      res.writeHead(flakyCalls < 3 ? 500 : 200);
      return void res.end(flakyCalls < 3 ? 'not yet' : 'ready');
    }
    if (url.pathname === '/slow') {
      const counted = url.searchParams.get('count') === '1';
      if (counted) inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const ms = Number(url.searchParams.get('ms') ?? 150);
      setTimeout(() => {
        if (counted) inFlight--;
        res.writeHead(200);
        res.end('slow ok');
      }, ms);
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const opts: SmokeOptions = { cwd: tmpdir(), env: { PATH: process.env.PATH, GREETING: 'hello' }, concurrency: 4, backoffBaseMs: 5 };
const http = (c: Record<string, unknown>) => httpSmokeSchema.parse(c);
const cmd = (c: Record<string, unknown>) => commandSmokeSchema.parse(c);

describe('HTTP smoke checks', () => {
  it('status, body, JSON fields and headers that match pass, with evidence', async () => {
    const r = await runSmokeCheck(
      http({ name: 'health', url: `${base}/ok`, expect: { status: 200, body_contains: '"ok"', json: { status: 'ok', 'build.n': 3, 'items.0.id': 'first' }, headers: { 'x-release': 'v2' } } }),
      opts,
    );
    expect(r.verdict).toBe('pass');
    expect(r.observed).toBe('HTTP 200');
    expect(r.evidence).toMatchObject({ status: 200, attempts: 1, json: { status: 'ok', 'build.n': 3, 'items.0.id': 'first' }, headers: { 'x-release': 'v2' } });
    expect(r.threshold).toBe('status 200, body contains "\\"ok\\"", status = "ok", build.n = 3, items.0.id = "first", x-release: v2');
  });

  it('every mismatch is named; the evidence keeps the first bytes of the body', async () => {
    const r = await runSmokeCheck(http({ name: 'err', url: `${base}/error`, expect: { status: 200, body_contains: 'ok' }, retries: 0 }), opts);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('status 503, expected 200; body does not contain "ok"');
    expect(r.evidence.status).toBe(503);
    expect((r.evidence.bodyHead as string).startsWith('upstream unavailable xxx')).toBe(true);
    expect((r.evidence.bodyHead as string).length).toBe(512);
  });

  it('a JSON field that differs or is missing fails', async () => {
    const r = await runSmokeCheck(http({ name: 'json', url: `${base}/ok`, expect: { json: { status: 'down', 'build.missing': 1 } }, retries: 0 }), opts);
    expect(r.reason).toBe('status = "ok", expected "down"; build.missing is missing');
  });

  it('a header that differs fails', async () => {
    const r = await runSmokeCheck(http({ name: 'hdr', url: `${base}/ok`, expect: { headers: { 'x-release': 'v3', 'x-absent': '1' } }, retries: 0 }), opts);
    expect(r.reason).toBe('header x-release is "v2", expected "v3"; header x-absent is absent, expected "1"');
  });

  it('retries with backoff until the service is ready', async () => {
    flakyCalls = 0;
    const waits: number[] = [];
    const sleep = async (ms: number): Promise<void> => void waits.push(ms);
    const r = await runSmokeCheck(http({ name: 'flaky', url: `${base}/flaky`, retries: 4 }), { ...opts, backoffBaseMs: 100, sleep });
    expect(r.verdict).toBe('pass');
    expect(r.evidence.attempts).toBe(3);
    expect(waits).toEqual([100, 200]);
  });

  it('gives up after its retries and says how many attempts it made', async () => {
    const r = await runSmokeCheck(http({ name: 'missing', url: `${base}/nope`, retries: 2 }), opts);
    expect(r.reason).toBe('status 404, expected 200 (after 3 attempts)');
  });

  it('an attempt that outlives its timeout fails', async () => {
    const r = await runSmokeCheck(http({ name: 'slow', url: `${base}/slow?ms=1500`, timeout: '200ms', retries: 0 }), opts);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toBe('no response within 200ms');
  });

  it('a service that is not listening fails with the connection error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await runSmokeCheck(http({ name: 'down', url: `http://127.0.0.1:${port}/`, retries: 0 }), opts);
    expect(r.verdict).toBe('fail');
    expect(r.reason).toContain('ECONNREFUSED');
  });
});

describe('command smoke checks', () => {
  it('exit 0 passes; the environment is passed on', async () => {
    const r = await runSmokeCheck(cmd({ name: 'env', run: 'test "$GREETING" = hello && echo fine' }), opts);
    expect(r.verdict).toBe('pass');
    expect(r.evidence).toMatchObject({ exitCode: 0, outputTail: 'fine\n' });
  });

  it('a non-zero exit fails with the exit code and the tail of the output', async () => {
    const r = await runSmokeCheck(cmd({ name: 'e2e', run: 'for i in $(seq 1 3000); do echo "line $i"; done; echo "3 tests failed" >&2; exit 7' }), opts);
    expect(r.verdict).toBe('fail');
    expect(r.observed).toBe('exit 7');
    const tail = r.evidence.outputTail as string;
    expect(tail.endsWith('3 tests failed\n')).toBe(true);
    expect(tail.length).toBeLessThanOrEqual(2000);
    expect(tail).not.toContain('line 1\n');
  });

  it('a command that outlives its timeout fails', async () => {
    const r = await runSmokeCheck(cmd({ name: 'hang', run: 'sleep 20', timeout: '300ms' }), opts);
    expect(r.verdict).toBe('fail');
    expect(r.observed).toBe('timed out after 300ms');
  });
});

describe('running many', () => {
  it('at most `concurrency` checks run at once, and results keep the configured order', async () => {
    maxInFlight = 0;
    const checks = Array.from({ length: 6 }, (_, i) => http({ name: `slow-${i}`, url: `${base}/slow?ms=150&count=1`, expect: { body_contains: 'slow ok' } }));
    const results = await runSmokeChecks(checks, { ...opts, concurrency: 2 });
    expect(results.map((r) => r.name)).toEqual(checks.map((c) => c.name));
    expect(results.every((r) => r.verdict === 'pass')).toBe(true);
    expect(maxInFlight).toBe(2);
  });

  it('mapLimit never exceeds its limit', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 10));
      active--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(peak).toBe(3);
  });

  it('jsonPath reads nested objects and arrays', () => {
    expect(jsonPath({ a: { b: [{ c: null }] } }, 'a.b.0.c')).toEqual({ found: true, value: null });
    expect(jsonPath({ a: 1 }, 'a.b')).toEqual({ found: false, value: undefined });
  });
});
