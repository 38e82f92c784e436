/** The demo story's building blocks: a step is a title and a body that notes what happened and throws when it misbehaves. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { World } from './world.js';

/** What the steps of one played story share: the PRs and heads they create, in story order. */
export interface StoryState {
  /** The master → staging promotion PR (the standing one Stagegate opened). */
  stagingPr: number;
  stagingHead: string;
  /** The staging → production promotion PR. */
  productionPr: number;
  productionHead: string;
  /** Free-form values a later chapter reads from an earlier one. */
  notes: Record<string, string | number>;
}

/** Everything a step's body may use. */
export interface StoryContext {
  world: World;
  sb: GitHubSandbox;
  repo: ReturnType<GitHubSandbox['repo']>;
  state: StoryState;
  /** Adds a line of narration under the step. */
  note(line: string): void;
}

/** One narrated step of the story. */
export interface StoryStepDef {
  title: string;
  run(ctx: StoryContext): Promise<void>;
}

/** A fresh state for a new story. */
export function newStoryState(): StoryState {
  return { stagingPr: 0, stagingHead: '', productionPr: 0, productionHead: '', notes: {} };
}

/** Throws `message` unless `cond` holds (the narrated expectation of a step). */
export function expectThat(cond: boolean, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
