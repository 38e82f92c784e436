import { durationMs } from '../config/duration.js';
import { isHttpSmoke, type CommandSmokeCheck, type HttpSmokeCheck, type SmokeCheck } from '../config/schema.js';
import { describeOutcome, runShellCommand, type CommandRunner } from '../deploy/command.js';
import type { CheckResult } from '../deploy/types.js';

/** How many characters of a response body are kept as evidence. */
export const BODY_EVIDENCE_CHARS = 512;
/** How many trailing characters of a command's output are kept as evidence. */
export const OUTPUT_EVIDENCE_CHARS = 2000;

/** What smoke tests need from their surroundings. */
export interface SmokeOptions {
  /** Working directory and environment of command checks. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** How many checks run at once. */
  concurrency: number;
  /** First retry delay; doubles on each retry, capped at `maxBackoffMs`. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  runCommand?: CommandRunner;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `items` through `fn` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Reads a dotted path (`data.items.0.id`) from a parsed JSON value. */
export function jsonPath(value: unknown, path: string): { found: boolean; value: unknown } {
  let cur: unknown = value;
  for (const seg of path.split('.')) {
    if (cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

function httpThreshold(c: HttpSmokeCheck): string {
  const parts = [`status ${c.expect.status}`];
  if (c.expect.body_contains !== undefined) parts.push(`body contains ${JSON.stringify(c.expect.body_contains)}`);
  for (const [k, v] of Object.entries(c.expect.json ?? {})) parts.push(`${k} = ${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(c.expect.headers ?? {})) parts.push(`${k}: ${v}`);
  return parts.join(', ');
}

interface Attempt {
  ok: boolean;
  observed: string;
  reason?: string;
  evidence: Record<string, unknown>;
}

async function httpAttempt(c: HttpSmokeCheck): Promise<Attempt> {
  const timeoutMs = durationMs(c.timeout);
  let res: Response;
  let text: string;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    res = await fetch(c.url, { method: c.method, headers: c.headers, signal, redirect: 'manual' });
    text = c.method === 'HEAD' ? '' : await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? `no response within ${c.timeout}`
        : `${e.message}${e.cause?.code ? ` (${e.cause.code})` : e.cause?.message ? ` (${e.cause.message})` : ''}`;
    return { ok: false, observed: 'no response', reason: why, evidence: { error: why } };
  }
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  const evidence: Record<string, unknown> = { status: res.status, bodyHead: text.slice(0, BODY_EVIDENCE_CHARS), bodyBytes: Buffer.byteLength(text) };
  const problems: string[] = [];
  if (res.status !== c.expect.status) problems.push(`status ${res.status}, expected ${c.expect.status}`);
  if (c.expect.body_contains !== undefined && !text.includes(c.expect.body_contains)) problems.push(`body does not contain ${JSON.stringify(c.expect.body_contains)}`);
  const jsonExpect = Object.entries(c.expect.json ?? {});
  if (jsonExpect.length > 0) {
    let parsed: unknown;
    let parsedOk = true;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsedOk = false;
      problems.push('body is not JSON');
    }
    if (parsedOk) {
      const seen: Record<string, unknown> = {};
      for (const [path, want] of jsonExpect) {
        const got = jsonPath(parsed, path);
        seen[path] = got.found ? got.value : '(missing)';
        if (!got.found) problems.push(`${path} is missing`);
        else if (got.value !== want) problems.push(`${path} = ${JSON.stringify(got.value)}, expected ${JSON.stringify(want)}`);
      }
      evidence.json = seen;
    }
  }
  const headerExpect = Object.entries(c.expect.headers ?? {});
  if (headerExpect.length > 0) {
    const seen: Record<string, string | null> = {};
    for (const [name, want] of headerExpect) {
      const got = res.headers.get(name);
      seen[name] = got;
      if (got !== want) problems.push(`header ${name} is ${got === null ? 'absent' : JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
    evidence.headers = seen;
  }
  return { ok: problems.length === 0, observed: `HTTP ${res.status}`, ...(problems.length ? { reason: problems.join('; ') } : {}), evidence };
}

async function commandAttempt(c: CommandSmokeCheck, opts: SmokeOptions): Promise<Attempt> {
  const run = opts.runCommand ?? runShellCommand;
  const o = await run({ command: c.run, cwd: opts.cwd, env: opts.env, timeoutMs: durationMs(c.timeout), tailChars: OUTPUT_EVIDENCE_CHARS, killGraceMs: 2000 });
  const observed = describeOutcome(o, c.timeout);
  const ok = !o.timedOut && !o.spawnError && o.exitCode === 0;
  return {
    ok,
    observed,
    ...(ok ? {} : { reason: observed }),
    evidence: { exitCode: o.exitCode, signal: o.signal, timedOut: o.timedOut, outputTail: o.outputTail },
  };
}

/** Runs one smoke check with its retries and exponential backoff. */
export async function runSmokeCheck(c: SmokeCheck, opts: SmokeOptions): Promise<CheckResult> {
  const sleep = opts.sleep ?? defaultSleep;
  const base = opts.backoffBaseMs ?? 1000;
  const cap = opts.maxBackoffMs ?? 30_000;
  const started = performance.now();
  const http = isHttpSmoke(c);
  let attempt: Attempt | undefined;
  let attempts = 0;
  for (let i = 0; i <= c.retries; i++) {
    if (i > 0) await sleep(Math.min(cap, base * 2 ** (i - 1)));
    attempts++;
    attempt = http ? await httpAttempt(c) : await commandAttempt(c, opts);
    if (attempt.ok) break;
  }
  const a = attempt!;
  return {
    kind: http ? 'http' : 'command',
    name: c.name,
    verdict: a.ok ? 'pass' : 'fail',
    observed: a.observed,
    threshold: http ? httpThreshold(c) : 'exit 0',
    durationMs: Math.round(performance.now() - started),
    ...(a.reason !== undefined ? { reason: attempts > 1 ? `${a.reason} (after ${attempts} attempts)` : a.reason } : {}),
    evidence: { ...a.evidence, attempts, ...(http ? { url: c.url } : { command: c.run }) },
  };
}

/** Runs every smoke check, at most `concurrency` at once; results keep the configured order. */
export function runSmokeChecks(checks: readonly SmokeCheck[], opts: SmokeOptions): Promise<CheckResult[]> {
  return mapLimit(checks, opts.concurrency, (c) => runSmokeCheck(c, opts));
}
