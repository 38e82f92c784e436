import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../sandbox/services/ports.js';

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints the app server's resident memory when idle, with the embedded audit store. */
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-idle-'));
  const port = await freePort();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const started = Date.now();
  const child = spawn(process.execPath, ['lib/app/server.js'], {
    env: {
      ...process.env,
      APP_ID: '1',
      PRIVATE_KEY: privateKey,
      WEBHOOK_SECRET: 'bench',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      STAGEGATE_DATA_DIR: dir,
      NODE_ENV: 'production',
      DATABASE_URL: '',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    let up = false;
    for (let i = 0; i < 200 && !up; i++) {
      await sleep(100);
      up = await fetch(`http://127.0.0.1:${port}/ping`).then(
        (r) => r.ok,
        () => false,
      );
    }
    if (!up) throw new Error('the app server did not answer /ping within 20 s');
    const ready = Date.now() - started;
    await sleep(5000);
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      samples.push(rssMb(child.pid!));
      await sleep(1000);
    }
    const max = Math.max(...samples);
    console.log(`app server ready (answers /ping) after ${ready} ms`);
    console.log(`app idle RSS with the embedded store: ${max.toFixed(1)} MB (max of ${samples.length} samples, 1 s apart, after 5 s idle; budget 150 MB)`);
  } finally {
    child.kill('SIGTERM');
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
