import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/stagegate.js';

/** The project root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/stagegate.js');

/** What one CLI run printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/stagegate.js`, compiled by `npx tsc -p tsconfig.build.json`). */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  if (!existsSync(join(ROOT, 'lib/src/cli/stagegate.js'))) {
    throw new Error('lib/src/cli/stagegate.js is missing: build first with `npx tsc -p tsconfig.build.json` (npm test does)');
  }
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the CLI's main in-process with captured output. */
export async function runMain(args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  err.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const code = await main(args, { stdout: out, stderr: err, env, cwd });
  return { code, stdout, stderr };
}
