import { spawn } from 'node:child_process';
import type { CommandOutcome } from './types.js';

/** How to run one shell command. */
export interface CommandSpec {
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Receives output as it arrives (stdout and stderr). */
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  /** How many trailing characters of output to keep for the report. */
  tailChars?: number;
  /** Grace period between SIGTERM and SIGKILL after a timeout. */
  killGraceMs?: number;
}

/** Runs shell commands; the real one spawns `bash -c`, tests may substitute their own. */
export type CommandRunner = (spec: CommandSpec) => Promise<CommandOutcome>;

const running = new Set<number>();

/**
 * Stops every command still running (their whole process groups): for the action's SIGINT and
 * SIGTERM handlers, since commands run in their own process group and a cancelled job would
 * otherwise leave them behind. Returns how many were signalled.
 */
export function killRunningCommands(signal: NodeJS.Signals = 'SIGTERM'): number {
  let n = 0;
  for (const pid of running) {
    try {
      process.kill(-pid, signal);
      n++;
    } catch {
      /* already gone */
    }
  }
  return n;
}

/** Keeps the last `limit` characters of a stream of text. */
export class TailBuffer {
  private text = '';
  constructor(private readonly limit: number) {}
  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
  }
}

/**
 * Runs `bash -c command` in its own process group, streaming its output, and stops the whole
 * group (SIGTERM, then SIGKILL) when it outlives its timeout. Never rejects.
 */
export const runShellCommand: CommandRunner = (spec) =>
  new Promise<CommandOutcome>((resolve) => {
    const started = performance.now();
    const tail = new TailBuffer(spec.tailChars ?? 4096);
    let timedOut = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (o: Omit<CommandOutcome, 'durationMs' | 'outputTail' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      if (child.pid !== undefined) running.delete(child.pid);
      clearTimeout(timer);
      clearTimeout(killTimer);
      resolve({ ...o, timedOut, durationMs: Math.round(performance.now() - started), outputTail: tail.toString() });
    };
    const child = spawn('bash', ['-c', spec.command], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) running.add(child.pid);
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs ?? 5000);
    }, spec.timeoutMs);
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      tail.push(chunk.toString('utf8'));
      spec.onOutput?.(chunk, stream);
    };
    child.stdout.on('data', onData('stdout'));
    child.stderr.on('data', onData('stderr'));
    child.on('error', (err) => finish({ exitCode: null, signal: null, spawnError: err.message }));
    child.on('exit', (code, signal) => {
      // A background process started by the command may keep the pipes open: wait briefly for
      // the rest of the output, then stop listening.
      const closeTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish({ exitCode: code, signal });
      }, 500);
      child.once('close', () => {
        clearTimeout(closeTimer);
        finish({ exitCode: code, signal });
      });
    });
  });

/** A one-line description of a command outcome: `exit 0`, `exit 2`, `timed out after 30s`, ... */
export function describeOutcome(o: CommandOutcome, timeoutText?: string): string {
  if (o.spawnError) return `could not start: ${o.spawnError}`;
  if (o.timedOut) return `timed out${timeoutText ? ` after ${timeoutText}` : ''}`;
  if (o.exitCode !== null) return `exit ${o.exitCode}`;
  return `killed by ${o.signal ?? 'a signal'}`;
}
