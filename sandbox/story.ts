/** The demo story, played against the sandbox, the real app, the real Action bundle, demo services and a real Prometheus. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitHubSandbox } from './github-sandbox.js';
import { REPO } from './story/gate.js';
import { newStoryState, type StoryStepDef } from './story/step.js';
import { STORY_STEPS } from './story/steps.js';
import { startWorld, type World } from './story/world.js';
import { renderTranscript } from './transcript.js';

export { checkMark, ci, firstLine, gateCheck, verdictOf, waitForGate } from './story/gate.js';
export { createShopRepo, demoConfig, startWorld, type World } from './story/world.js';
export { STORY_STEPS } from './story/steps.js';
export type { StoryContext, StoryState, StoryStepDef } from './story/step.js';

/** One narrated step and whether it behaved as narrated. */
export interface StoryStep {
  title: string;
  ok: boolean;
  details: string[];
  error?: string;
}

/** What a played story produced. */
export interface StoryResult {
  ok: boolean;
  steps: StoryStep[];
  htmlFile: string | null;
  violations: GitHubSandbox['violations'];
}

/** Options of {@link playStory}. */
export interface StoryOptions {
  /** Where the HTML transcript goes (a directory). */
  outDir: string;
  /** Called with each line of narration as it happens. */
  narrate?: (line: string) => void;
}

/** Plays the story of `npm run demo` one step at a time (tests run each step as a test of its own). */
export interface StoryRun {
  /** Every step in story order. */
  readonly steps: readonly StoryStepDef[];
  /** Plays one step; never throws for a misbehaving step (it is reported, and later steps are skipped). */
  play(def: StoryStepDef): Promise<StoryStep>;
  /** Writes the HTML transcript and says how the whole story went. */
  finish(): Promise<StoryResult>;
}

/** Starts a story on `world`: the steps share one state, in order. */
export function startStory(world: World, opts: StoryOptions): StoryRun {
  const { sb } = world;
  const say = opts.narrate ?? ((l: string) => console.log(l));
  const steps: StoryStep[] = [];
  const state = newStoryState();
  const repo = sb.repo(REPO);
  let failed = false;

  async function play(def: StoryStepDef): Promise<StoryStep> {
    const s: StoryStep = { title: def.title, ok: true, details: [] };
    steps.push(s);
    say(`\n▶ ${def.title}`);
    if (failed) {
      s.ok = false;
      s.error = 'skipped: an earlier step did not behave as narrated';
      say(`  ✗ ${s.error}`);
      return s;
    }
    const note = (line: string): void => {
      s.details.push(line);
      say(`  · ${line}`);
    };
    try {
      await def.run({ world, sb, repo, state, note });
      say('  ✓ as narrated');
    } catch (err) {
      s.ok = false;
      failed = true;
      s.error = err instanceof Error ? err.message : String(err);
      say(`  ✗ ${s.error}`);
    }
    return s;
  }

  async function finish(): Promise<StoryResult> {
    let htmlFile: string | null = null;
    try {
      htmlFile = join(opts.outDir, 'stagegate-demo.html');
      const lines = steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.title}${s.details.length ? ` — ${s.details.join('; ')}` : ''}${s.error ? ` — ${s.error}` : ''}`);
      await writeFile(htmlFile, await renderTranscript(sb, REPO, { title: 'Stagegate demo: acme/shop', narration: lines }));
    } catch (err) {
      say(`could not write the HTML transcript: ${(err as Error).message}`);
      htmlFile = null;
    }
    const violations = [...sb.violations];
    const ok = steps.length === STORY_STEPS.length && steps.every((s) => s.ok) && violations.length === 0 && htmlFile !== null;
    return { ok, steps, htmlFile, violations };
  }

  return { steps: STORY_STEPS, play, finish };
}

/** Plays the whole story of `npm run demo`; never throws for a misbehaving step (it is reported). */
export async function playStory(world: World, opts: StoryOptions): Promise<StoryResult> {
  const story = startStory(world, opts);
  for (const def of story.steps) await story.play(def);
  return story.finish();
}

/** Starts the demo world with the story's policy: staging's promotion PR is a standing one, release notes by label. */
export function startStoryWorld(opts: { appDataDir?: string } = {}): Promise<World> {
  return startWorld({ ...opts, story: true });
}
