import { durationMs } from '../config/duration.js';
import type { MetricCheck, MetricsConfig } from '../config/schema.js';
import type { CheckResult, ReasonCode } from '../deploy/types.js';

/** One series of an instant query result. NaN values are kept (and count as no data). */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** Thrown by a `MetricsSource` when the metrics backend cannot answer. */
export class MetricsUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsUnavailableError';
  }
}

/** Where metric checks get their values: instant queries. */
export interface MetricsSource {
  /** Evaluates an instant query now. Throws `MetricsUnavailableError` when it cannot. */
  query(promql: string): Promise<MetricSample[]>;
}

/** Options of the Prometheus source. */
export interface PrometheusOptions {
  /** Timeout of one HTTP request. */
  timeoutMs?: number;
  /** Attempts for network errors and 5xx answers. */
  attempts?: number;
  retryDelayMs?: number;
}

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function parseValue(v: unknown): number {
  if (!Array.isArray(v) || typeof v[1] !== 'string') throw new MetricsUnavailableError('Prometheus answered with a malformed sample');
  return Number(v[1]);
}

/** Instant queries against the Prometheus HTTP API (`GET /api/v1/query`). */
export class PrometheusSource implements MetricsSource {
  private readonly endpoint: string;
  constructor(
    baseUrl: string,
    private readonly opts: PrometheusOptions = {},
  ) {
    this.endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v1/query`;
  }

  async query(promql: string): Promise<MetricSample[]> {
    const attempts = this.opts.attempts ?? 3;
    let last: MetricsUnavailableError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, (this.opts.retryDelayMs ?? 500) * i));
      const r = await this.once(promql);
      if (r.ok) return r.samples;
      last = r.error;
      if (!r.retry) break;
    }
    throw last ?? new MetricsUnavailableError('Prometheus query failed');
  }

  private async once(promql: string): Promise<{ ok: true; samples: MetricSample[] } | { ok: false; retry: boolean; error: MetricsUnavailableError }> {
    const url = `${this.endpoint}?${new URLSearchParams({ query: promql }).toString()}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000), headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message);
      return { ok: false, retry: true, error: new MetricsUnavailableError(`Prometheus at ${this.endpoint} cannot be reached: ${why}`) };
    }
    let body: PromResponse;
    try {
      body = JSON.parse(text) as PromResponse;
    } catch {
      return { ok: false, retry: res.status >= 500, error: new MetricsUnavailableError(`Prometheus answered HTTP ${res.status} with a body that is not JSON`) };
    }
    if (body.status !== 'success') {
      return { ok: false, retry: res.status >= 500, error: new MetricsUnavailableError(`Prometheus answered HTTP ${res.status}: ${body.errorType ?? 'error'}: ${body.error ?? 'unknown error'}`) };
    }
    const type = body.data?.resultType;
    const result = body.data?.result;
    try {
      if (type === 'vector' && Array.isArray(result)) {
        return {
          ok: true,
          samples: result.map((s: { metric?: Record<string, string>; value?: unknown }) => ({ labels: s.metric ?? {}, value: parseValue(s.value) })),
        };
      }
      if (type === 'scalar') return { ok: true, samples: [{ labels: {}, value: parseValue(result) }] };
    } catch (err) {
      return { ok: false, retry: false, error: err as MetricsUnavailableError };
    }
    return { ok: false, retry: false, error: new MetricsUnavailableError(`Prometheus returned a ${type ?? 'missing'} result; metric checks need an instant vector or scalar`) };
  }
}

/** Answers queries from a script: a function of the query and the round (0-based). For tests. */
export class FakeMetricsSource implements MetricsSource {
  readonly queries: string[] = [];
  private rounds = new Map<string, number>();
  constructor(private readonly answer: (query: string, round: number) => MetricSample[] | Error) {}
  async query(promql: string): Promise<MetricSample[]> {
    const round = this.rounds.get(promql) ?? 0;
    this.rounds.set(promql, round + 1);
    this.queries.push(promql);
    const a = this.answer(promql, round);
    if (a instanceof Error) throw a instanceof MetricsUnavailableError ? a : new MetricsUnavailableError(a.message);
    return a;
  }
}

/** The outcome of watching the metric checks. */
export interface MetricsOutcome {
  checks: CheckResult[];
  reasonCode: Extract<ReasonCode, 'ok' | 'metrics-failed' | 'metrics-no-data' | 'metrics-unavailable'>;
  /** Why it failed, naming the check and the observed value; `ok` otherwise. */
  message: string;
  rounds: number;
}

/** Timing hooks, so tests can run windows fast. */
export interface WatchOptions {
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  onRound?: (round: number, checks: CheckResult[]) => void;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : Number(n.toPrecision(4)).toString());

function thresholdText(c: MetricCheck): string {
  const parts: string[] = [];
  if (c.min !== undefined) parts.push(`≥ ${fmt(c.min)}`);
  if (c.max !== undefined) parts.push(`≤ ${fmt(c.max)}`);
  return parts.join(' and ');
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}` : '';
}

interface CheckState {
  check: MetricCheck;
  onNoData: 'fail' | 'pass';
  values: number[];
  history: { round: number; at: string; series: { labels: Record<string, string>; value: number | null }[] }[];
  noDataRounds: number;
  failure: { code: 'metrics-failed' | 'metrics-no-data' | 'metrics-unavailable'; reason: string } | null;
  durationMs: number;
}

const HISTORY_KEPT = 30;

function toResult(s: CheckState): CheckResult {
  const v = s.values;
  let observed: string;
  if (s.failure?.code === 'metrics-unavailable') observed = 'Prometheus unavailable';
  else if (v.length === 0) observed = 'no data';
  else {
    const min = Math.min(...v);
    const max = Math.max(...v);
    const last = v[v.length - 1]!;
    observed = min === max ? `${fmt(last)} (${v.length} sample${v.length === 1 ? '' : 's'})` : `${fmt(min)}–${fmt(max)}, last ${fmt(last)} (${v.length} samples)`;
  }
  return {
    kind: 'metric',
    name: s.check.name,
    verdict: s.failure ? 'fail' : 'pass',
    observed,
    threshold: thresholdText(s.check),
    durationMs: s.durationMs,
    ...(s.failure ? { reason: s.failure.reason } : {}),
    evidence: {
      query: s.check.query,
      ...(v.length ? { min: Math.min(...v), max: Math.max(...v), last: v[v.length - 1] } : {}),
      samples: v.length,
      noDataRounds: s.noDataRounds,
      onNoData: s.onNoData,
      history: s.history.slice(-HISTORY_KEPT),
    },
  };
}

function evaluate(s: CheckState, samples: MetricSample[]): void {
  const numeric = samples.filter((x) => Number.isFinite(x.value));
  if (numeric.length === 0) {
    s.noDataRounds++;
    if (s.onNoData === 'fail') {
      const nan = samples.length > 0 ? ' (only NaN values)' : '';
      s.failure = { code: 'metrics-no-data', reason: `${s.check.name}: the query returned no data${nan}` };
    }
    return;
  }
  for (const x of numeric) {
    s.values.push(x.value);
    const series = labelText(x.labels);
    if (s.check.max !== undefined && x.value > s.check.max) {
      s.failure ??= { code: 'metrics-failed', reason: `${s.check.name}${series} ${fmt(x.value)} > ${fmt(s.check.max)}` };
    }
    if (s.check.min !== undefined && x.value < s.check.min) {
      s.failure ??= { code: 'metrics-failed', reason: `${s.check.name}${series} ${fmt(x.value)} < ${fmt(s.check.min)}` };
    }
  }
}

/**
 * Queries every check once per `interval` for `window` (the first query one interval after the
 * start; at least one round). Stops at the first failure: a threshold crossed, no data (unless
 * `on_no_data: pass`), or Prometheus not answering. Never reports success without data or answers.
 */
export async function watchMetrics(cfg: MetricsConfig, source: MetricsSource, opts: WatchOptions = {}): Promise<MetricsOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? (() => Date.now());
  const windowMs = durationMs(cfg.window);
  const intervalMs = Math.max(1, durationMs(cfg.interval));
  const rounds = Math.max(1, Math.ceil(windowMs / intervalMs));
  const states: CheckState[] = cfg.checks.map((check) => ({
    check,
    onNoData: check.on_no_data ?? cfg.on_no_data,
    values: [],
    history: [],
    noDataRounds: 0,
    failure: null,
    durationMs: 0,
  }));
  const start = now();
  let done = 0;
  for (let round = 0; round < rounds; round++) {
    const due = start + Math.min(windowMs, (round + 1) * intervalMs);
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    await Promise.all(
      states.map(async (s) => {
        let samples: MetricSample[];
        try {
          samples = await source.query(s.check.query);
        } catch (err) {
          const msg = err instanceof Error ? err.message : String(err);
          s.failure = { code: 'metrics-unavailable', reason: `${s.check.name}: ${msg}` };
          return;
        } finally {
          s.durationMs = now() - start;
        }
        s.history.push({ round, at: new Date(now()).toISOString(), series: samples.map((x) => ({ labels: x.labels, value: Number.isFinite(x.value) ? x.value : null })) });
        evaluate(s, samples);
      }),
    );
    done = round + 1;
    opts.onRound?.(round, states.map(toResult));
    if (states.some((s) => s.failure)) break;
  }
  const checks = states.map(toResult);
  const order = ['metrics-unavailable', 'metrics-failed', 'metrics-no-data'] as const;
  for (const code of order) {
    const f = states.find((s) => s.failure?.code === code);
    if (f) return { checks, reasonCode: code, message: f.failure!.reason, rounds: done };
  }
  return { checks, reasonCode: 'ok', message: 'ok', rounds: done };
}
