import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playStory, startWorld, type World } from '../../sandbox/story.js';

// The story of `npm run demo`, end to end: the sandbox stands in for GitHub over HTTP, the real app
// server (lib/app/server.js) receives signed webhooks, the real Action bundle (dist/index.js) runs as
// the deploy workflow, two demo services are scraped by a real Prometheus.

let world: World;
let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'stagegate-e2e-demo-'));
  world = await startWorld();
}, 150_000);

afterAll(async () => {
  await world?.stop();
  if (outDir) await rm(outDir, { recursive: true, force: true });
}, 60_000);

describe('the demo story', () => {
  it('plays every step as narrated, with zero contract violations, and writes the HTML transcript', async () => {
    const lines: string[] = [];
    const result = await playStory(world, { outDir, narrate: (l) => lines.push(l) });
    const failed = result.steps.filter((s) => !s.ok).map((s) => `${s.title}: ${s.error ?? ''}`);
    expect(failed).toEqual([]);
    expect(result.steps).toHaveLength(10);
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    const html = await readFile(result.htmlFile ?? '', 'utf8');
    expect(html).toContain('Promote master to staging');
    expect(html).toContain('Promote staging to production');
    expect(html).toContain('stagegate');
    expect(html).toMatch(/rolled back/i);
    expect(world.production.release().version).toBe(world.initialSha);
  }, 400_000);
});
