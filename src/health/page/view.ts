/**
 * What the delivery health page shows, as data: the app reads it (app/web/repo-data.ts) and the renderers in
 * this folder turn it into HTML without reading anything themselves.
 */
import type { StageLock } from '../../locks/types.js';
import type { HealthReport } from '../compute.js';

/** Who is looking (the signed-in person) and the form token their sign-out posts. */
export interface Viewer {
  login: string;
  csrf: string;
}

/** A section read from GitHub or a store: its value, or why it could not be read (shown, never guessed). */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

/** A stage as the policy names it. */
export interface StagePolicy {
  name: string;
  branch: string;
  from: string;
}

/** The `stagegate` check on an open promotion's head: the gate's state. */
export interface GateState {
  /** `green` (success), `red` (failure or other conclusion), `pending` (in progress or neutral), `none` (no check yet). */
  state: 'green' | 'red' | 'pending' | 'none';
  title: string | null;
  url: string | null;
}

/** An open promotion pull request of a stage. */
export interface OpenPromotion {
  stage: string;
  number: number;
  title: string;
  url: string;
  author: string | null;
  headSha: string;
  gate: Read<GateState>;
}

/** A commit waiting in a stage's source branch (`compare/<branch>...<from>`). */
export interface PendingCommit {
  sha: string;
  message: string;
  author: string | null;
  url: string;
}

/** The commits of `from` not yet in the stage's branch; `total` may exceed the commits listed. */
export interface Pending {
  stage: string;
  base: string;
  head: string;
  total: number;
  commits: PendingCommit[];
  compareUrl: string;
}

/** Everything the page of one repository shows. */
export interface RepoView {
  repository: string;
  /** The repository on GitHub (links to PRs and commits start here). */
  htmlUrl: string;
  viewer: Viewer;
  /** The stages of the policy on the default branch (null with the reason when it could not be read). */
  policy: Read<StagePolicy[]>;
  health: Read<HealthReport>;
  promotions: Read<OpenPromotion[]>;
  locks: Read<StageLock[]>;
  pending: Read<Pending[]>;
}

/** A repository on the index. */
export interface RepoEntry {
  fullName: string;
  permission: string;
}

/** The index: the repositories the signed-in person can read where the app is installed. */
export interface IndexView {
  viewer: Viewer;
  repositories: RepoEntry[];
}
