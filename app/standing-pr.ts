import { loadConfig } from '../src/config/load.js';
import { promotionPrOf, type Config, type StageConfig } from '../src/config/schema.js';
import { statusOf, type GitHubRequester } from '../src/github/client.js';
import { githubConfigSource } from '../src/github/config-source.js';
import { decideStanding, standingMarker, type StandingAction } from '../src/promotion/standing-pr.js';
import { readReleaseNotes } from '../src/release-notes/github.js';
import { dutyAt, dutyStages, formatHandover } from '../src/rotation/schedule.js';
import type { AppDeps } from './deps.js';

/** A push to a branch of a repository, as the `push` webhook says. */
export interface PushInput {
  client: GitHubRequester;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** The branch pushed to (without `refs/heads/`). */
  branch: string;
  /** Its new tip. */
  after: string;
  /** The repository's web URL. */
  repoUrl: string;
}

/** What the push did to one stage's standing PR. */
export interface StandingOutcome {
  stage: string;
  action: StandingAction['kind'] | 'failed';
  pullRequest: number | null;
  why?: string;
}

/**
 * The stages `branch` promotes from whose `promotion_pr` is `open`, under the policy of each stage's
 * own branch (the policy a promotion into it is judged by), falling back to the default branch.
 */
async function standingStages(deps: AppDeps, input: PushInput): Promise<{ stage: StageConfig; config: Config }[]> {
  const source = githubConfigSource(input.client, deps.cache ? { cache: deps.cache } : {});
  const read = (baseRef: string) => loadConfig({ source, owner: input.owner, repo: input.repo, baseRef, defaultBranch: input.defaultBranch });
  const top = await read(input.defaultBranch);
  if (top.kind !== 'ok') return [];
  const out: { stage: StageConfig; config: Config }[] = [];
  for (const candidate of top.config.stages.filter((s) => s.from === input.branch)) {
    const own = await read(candidate.branch);
    if (own.kind !== 'ok') continue;
    const stage = own.config.stages.find((s) => s.name === candidate.name && s.from === input.branch);
    if (stage && promotionPrOf(stage).mode === 'open') out.push({ stage, config: own.config });
  }
  return out;
}

/**
 * On a push to a stage's `from` branch: opens the stage's promotion PR when `from` holds commits the
 * stage branch lacks and none is open, or keeps the open one's body current (pending changes grouped
 * by merged PR, the compare link, the team on duty), or says nothing is pending (or closes it). At
 * most one PR per stage: GitHub itself refuses a second open PR with the same head and base (422),
 * which is then taken as "someone opened it first" and the open one is updated instead — so app
 * processes racing on the same or successive pushes open exactly one.
 */
export async function keepStandingPrs(deps: AppDeps, input: PushInput): Promise<StandingOutcome[]> {
  const outcomes: StandingOutcome[] = [];
  for (const { stage, config } of await standingStages(deps, input)) {
    try {
      outcomes.push(await keepOne(deps, input, stage, config));
    } catch (err) {
      outcomes.push({ stage: stage.name, action: 'failed', pullRequest: null, why: (err as Error).message });
    }
  }
  return outcomes;
}

async function findOpen(client: GitHubRequester, input: PushInput, stage: StageConfig): Promise<{ number: number; body: string | null; user: string | null } | null> {
  const list = (
    await client.request('GET /repos/{owner}/{repo}/pulls', { owner: input.owner, repo: input.repo, state: 'open', head: `${input.owner}:${stage.from}`, base: stage.branch, per_page: 10 })
  ).data;
  const pr = list[0];
  return pr ? { number: pr.number, body: pr.body ?? null, user: pr.user?.login ?? null } : null;
}

async function keepOne(deps: AppDeps, input: PushInput, stage: StageConfig, config: Config): Promise<StandingOutcome> {
  const { client, owner, repo } = input;
  const self = await deps.self();
  const settings = promotionPrOf(stage);
  const compare = (await client.request('GET /repos/{owner}/{repo}/compare/{basehead}', { owner, repo, basehead: `${stage.branch}...${stage.from}`, per_page: 1 })).data;
  const base = compare.merge_base_commit.sha;
  const branchTip = (await client.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch: stage.branch })).data.commit.sha;
  const head = (await client.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch: stage.from })).data.commit.sha;
  const ahead = compare.ahead_by;
  let open = await findOpen(client, input, stage);
  const notes = ahead > 0 ? await readReleaseNotes(client, { owner, repo, from: branchTip, to: head, self: open?.number ?? null }, config).catch(() => null) : null;
  const duty = config.rotation && dutyStages(config).some((s) => s.name === stage.name) ? dutyAt(config.rotation, deps.now()) : null;
  const view = {
    stage,
    settings,
    repoUrl: input.repoUrl,
    base: ahead > 0 ? branchTip : base,
    head,
    ahead,
    notes,
    duty: duty?.team ? { team: duty.team, until: duty.until ? formatHandover(config.rotation!, duty.until) : null } : null,
  };
  const ours = (o: { user: string | null; body: string | null } | null) => o !== null && o.user === self.login && (o.body ?? '').startsWith(standingMarker(stage.name));
  let action = decideStanding(view, open ? { number: open.number, body: open.body, ours: ours(open) } : null);
  if (action.kind === 'open') {
    try {
      const created = (
        await client.request('POST /repos/{owner}/{repo}/pulls', { owner, repo, title: action.title, head: stage.from, base: stage.branch, body: action.body, maintainer_can_modify: false })
      ).data;
      await deps.store.append({
        key: `promotion:${owner}/${repo}:${stage.name}#${created.number}:opened`,
        repository: `${owner}/${repo}`,
        stage: stage.name,
        pullRequest: created.number,
        baseSha: branchTip,
        headSha: head,
        actor: self.login,
        kind: 'promotion.opened',
        at: deps.now().toISOString(),
        details: { pullRequest: created.number, title: action.title, fromSha: head, baseSha: branchTip, ahead },
      });
      return { stage: stage.name, action: 'open', pullRequest: created.number };
    } catch (err) {
      // Another process (or a person) opened it first: GitHub allows one open PR per head and base.
      if (statusOf(err) !== 422) throw err;
      open = await findOpen(client, input, stage);
      if (!open) throw err;
      action = decideStanding(view, { number: open.number, body: open.body, ours: ours(open) });
    }
  }
  if (action.kind === 'update' || action.kind === 'close') {
    await client.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner,
      repo,
      pull_number: action.number,
      body: action.body,
      ...(action.kind === 'close' ? { state: 'closed' as const } : {}),
    });
    return { stage: stage.name, action: action.kind, pullRequest: action.number };
  }
  return { stage: stage.name, action: action.kind, pullRequest: open?.number ?? null, ...(action.kind === 'none' ? { why: action.why } : {}) };
}
