import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from '@jest/globals';
import { Probot, ProbotOctokit } from 'probot';
import { openAuditStore } from '../../src/audit/open.js';
import { openChatopsState, type ChatopsState } from '../../src/locks/open.js';
import type { AuditDatabase, AuditRecord } from '../../src/audit/types.js';
import { createApp, type Handled } from '../../app/index.js';
import { GitHubWorld, type WorldCommit } from './github-world.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];

/** A deterministic 40-hex SHA from a label. */
export function sha(label: string): string {
  return createHash('sha1').update(label).digest('hex');
}

/** The policy used by the app tests (read from the base branch). */
export const POLICY = `stages:
  - name: staging
    branch: staging
    from: master
    signoff:
      approvals: 1
  - name: production
    branch: production
    from: staging
    signoff:
      approvals: 1
      reviewers: [manager, carol, dave, erin, "@acme/release-managers"]
    checks: [build]
deploy:
  workflow: stagegate-deploy.yml
`;

/** A real webhook example from `@octokit/webhooks-examples`, adapted to the world's repository. */
export function example(name: string, action: string | undefined, pick: (e: Record<string, any>) => boolean = () => true): Record<string, any> {
  const entry = examples.find((e) => e.name === name);
  const found = entry?.examples.find((e) => (action === undefined || e.action === action) && pick(e));
  if (!found) throw new Error(`no @octokit/webhooks-examples payload for ${name}.${action}`);
  return structuredClone(found);
}

const privateKey = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
}).privateKey;

/** Webhook secret used by the harness. */
export const SECRET = 'stagegate-test-secret';

/** A Probot instance running the real app against a mocked GitHub, with a real embedded audit store. */
export class AppHarness {
  world = new GitHubWorld();
  handled: Handled[] = [];
  /** Re-evaluations the app scheduled, run by the test when it moves the clock. */
  scheduled: { at: Date; task: () => void; cancelled: boolean }[] = [];
  store!: AuditDatabase;
  chatops!: ChatopsState;
  probot!: Probot;
  now = new Date('2026-11-24T10:00:00Z');
  private dir = '';
  private delivery = 0;

  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'stagegate-app-'));
    this.store = await openAuditStore({ dataDir: this.dir });
    this.chatops = await openChatopsState({ dataDir: this.dir, env: {} });
    this.probot = new Probot({
      appId: 123,
      privateKey,
      secret: SECRET,
      logLevel: 'fatal',
      Octokit: ProbotOctokit.defaults((o: any) => ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } })),
    });
    await this.probot.load(
      createApp({
        store: this.store,
        chatops: this.chatops,
        appId: 123,
        now: () => this.now,
        onHandled: (h) => this.handled.push(h),
        schedule: (at, task) => {
          const entry = { at, task, cancelled: false };
          this.scheduled.push(entry);
          return { cancel: () => void (entry.cancelled = true) };
        },
      }),
    );
    this.world.start();
  }

  async stop(): Promise<void> {
    this.world.stop();
    await this.chatops.close();
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Delivers a webhook through Probot (signature already verified, as after the HTTP layer). */
  async send(name: string, payload: Record<string, any>, id = `delivery-${++this.delivery}`): Promise<string> {
    await this.probot.receive({ id, name, payload } as never);
    return id;
  }

  /** The audit records of the world's repository, optionally of one kind. */
  async records(kind?: string): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for await (const r of this.store.records(`${this.world.owner}/${this.world.repo}`)) if (!kind || r.kind === kind) out.push(r);
    return out;
  }

  /** Repository, installation and sender fields of a payload. */
  dress(payload: Record<string, any>, sender = 'someone'): Record<string, any> {
    const w = this.world;
    payload.repository = { ...payload.repository, id: 1, name: w.repo, full_name: `${w.owner}/${w.repo}`, owner: { ...payload.repository?.owner, login: w.owner }, default_branch: w.defaultBranch };
    payload.installation = { id: 42, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=' };
    payload.sender = { ...payload.sender, login: sender };
    return payload;
  }

  /** A pull_request payload for PR `number` as it is in the world. */
  pullPayload(action: string, number: number, extra: Record<string, any> = {}): Record<string, any> {
    const p = this.world.pulls.get(number)!;
    const e = this.dress(example('pull_request', action === 'edited' ? 'opened' : action === 'closed' ? 'closed' : 'opened'));
    e.action = action;
    e.number = number;
    const fork = p.head.repo !== `${this.world.owner}/${this.world.repo}`;
    e.pull_request = {
      ...e.pull_request,
      number,
      state: p.state,
      merged: p.merged,
      merge_commit_sha: p.merge_commit_sha,
      user: { ...e.pull_request.user, login: p.user },
      head: { ...e.pull_request.head, ref: p.head.ref, sha: p.head.sha, repo: { ...e.pull_request.head.repo, id: fork ? 2 : 1, full_name: p.head.repo } },
      base: { ...e.pull_request.base, ref: p.base.ref, sha: p.base.sha, repo: { ...e.pull_request.base.repo, id: 1, full_name: `${this.world.owner}/${this.world.repo}` } },
    };
    return { ...e, ...extra };
  }

  /** A pull_request_review payload. */
  reviewPayload(action: string, number: number, reviewer: string): Record<string, any> {
    const pr = this.pullPayload('opened', number).pull_request;
    const e = this.dress(example('pull_request_review', action), reviewer);
    e.action = action;
    e.pull_request = { ...e.pull_request, number, head: pr.head, base: pr.base };
    return e;
  }
}

/** Options of {@link promotion}. */
export interface PromotionSetup {
  number?: number;
  from?: string;
  to?: string;
  author?: string;
  /** Commits of the range, oldest first; default one commit by `alice`. */
  commits?: Partial<WorldCommit>[];
  files?: string[];
  forkOwner?: string;
}

/** Puts an open promotion PR into the world: policy on the base branch, a range of commits. */
export function promotion(world: GitHubWorld, setup: PromotionSetup = {}): { number: number; head: string; base: string } {
  const number = setup.number ?? 7;
  const from = setup.from ?? 'staging';
  const to = setup.to ?? 'production';
  const base = sha(`base-${number}`);
  const specs = setup.commits ?? [{}];
  const shas: string[] = [];
  let parent = base;
  specs.forEach((spec, i) => {
    const s = spec.sha ?? sha(`pr${number}-commit-${i}`);
    const login = spec.author?.login === undefined ? 'alice' : spec.author.login;
    world.commits.set(s, {
      sha: s,
      tree: spec.tree ?? sha(`tree-${s}`),
      parents: spec.parents ?? [parent],
      message: spec.message ?? `Change ${i}`,
      author: { login, name: login ?? 'Nobody', email: `${login ?? 'nobody'}@example.com`, date: '2026-11-20T09:00:00Z', ...(spec.author ?? {}) },
      committer: spec.committer ?? { login: login, name: login ?? 'Nobody', email: `${login ?? 'nobody'}@example.com`, date: '2026-11-20T09:00:00Z' },
      files: spec.files ?? ['src/app.ts'],
    });
    shas.push(s);
    parent = s;
  });
  const head = shas[shas.length - 1]!;
  world.commits.set(base, {
    sha: base,
    tree: sha(`tree-${base}`),
    parents: [],
    message: 'base',
    author: { login: 'bob', name: 'bob', email: 'bob@example.com', date: '2026-11-01T00:00:00Z' },
    committer: { login: 'bob', name: 'bob', email: 'bob@example.com', date: '2026-11-01T00:00:00Z' },
    files: [],
  });
  world.ranges.set(`${base}...${head}`, shas);
  world.pulls.set(number, {
    number,
    title: `Promote ${from} to ${to}`,
    user: setup.author ?? 'alice',
    state: 'open',
    merged: false,
    merged_by: null,
    merge_commit_sha: null,
    head: { ref: from, sha: head, repo: setup.forkOwner ? `${setup.forkOwner}/${world.repo}` : `${world.owner}/${world.repo}` },
    base: { ref: to, sha: base },
  });
  world.pullFiles.set(number, setup.files ?? ['src/app.ts']);
  if (!world.files.has(to)) world.files.set(to, new Map([['.github/stagegate.yml', POLICY]]));
  return { number, head, base };
}

/** Adds a review to the world. */
export function review(world: GitHubWorld, number: number, user: string, state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED', commit: string, at = '2026-11-24T09:00:00Z'): number {
  const id = world.id();
  const list = world.reviews.get(number) ?? [];
  list.push({ id, user, state, commit_id: commit, submitted_at: at });
  world.reviews.set(number, list);
  return id;
}

/** Adds a successful check run as CI would. */
export function ciCheck(world: GitHubWorld, head: string, name = 'build', conclusion: string | null = 'success'): void {
  world.checkRuns.push({ id: world.id(), name, head_sha: head, status: conclusion ? 'completed' : 'in_progress', conclusion, started_at: '2026-11-24T08:00:00Z' });
}

/** A fresh harness per test; after each, the test fails if any request broke GitHub's contract. */
export function useAppHarness(): () => AppHarness {
  let h: AppHarness;
  beforeEach(async () => {
    h = new AppHarness();
    await h.start();
  });
  afterEach(async () => {
    const violations = h.world.violations;
    await h.stop();
    expect(violations).toEqual([]);
  });
  return () => h;
}
