import { CONFIG_PATH, resolveConfigText } from '../src/config/load.js';
import type { ConfigSource } from '../src/config/load.js';
import type { GitHubRequester } from '../src/github/client.js';
import { githubConfigSource } from '../src/github/config-source.js';
import { createGitHubFacts, type GitHubFacts } from '../src/github/facts.js';
import { renderConfigCheck, type ConfigCheckOutput } from '../src/render/config-check.js';
import { publishConfigCheckOnce } from './check-writes.js';
import type { AppDeps } from './deps.js';

/** A pull request to look at for a change of `.github/stagegate.yml`. */
export interface ConfigCheckInput {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
}

/** What the config check did. */
export type ConfigCheckOutcome = { kind: 'skipped'; why: string } | { kind: 'published'; checkId: number | null; conclusion: ConfigCheckOutput['conclusion']; annotations: number };

/**
 * Whether the pull request changes the policy file: from the range's changed files (the facts the gate
 * reads too, cached by SHA, so both cost one read), or, when that listing is incomplete, by comparing the
 * file at base and head.
 */
async function changesPolicy(input: ConfigCheckInput, facts: GitHubFacts, source: ConfigSource, baseSha: string, headSha: string): Promise<'changed' | 'deleted' | 'unchanged'> {
  const { owner, repo } = input;
  const files = await facts.files();
  const hit = files.items.find((f) => f.filename === CONFIG_PATH || f.previousFilename === CONFIG_PATH);
  if (hit) return hit.status === 'removed' || (hit.filename !== CONFIG_PATH && hit.previousFilename === CONFIG_PATH) ? 'deleted' : 'changed';
  if (files.complete) return 'unchanged';
  const [atBase, atHead] = await Promise.all([source.read({ owner, repo, path: CONFIG_PATH, ref: baseSha }), source.read({ owner, repo, path: CONFIG_PATH, ref: headSha })]);
  if (atBase === atHead) return 'unchanged';
  return atHead === null ? 'deleted' : 'changed';
}

/**
 * The `stagegate/config` check: on a pull request (into any branch) that changes
 * `.github/stagegate.yml`, validates the file as the pull request proposes it (with its `_extends`)
 * and posts a check run on the head commit, annotated on the offending lines, so a policy change
 * is reviewed green before it is merged. It never reads the head for gating: the gate keeps reading
 * the base.
 */
export async function runConfigCheck(deps: Pick<AppDeps, 'published' | 'cache'>, input: ConfigCheckInput): Promise<ConfigCheckOutcome> {
  const { client, owner, repo } = input;
  const cache = deps.cache ? { cache: deps.cache } : {};
  const facts = createGitHubFacts({ client, owner, repo, pullNumber: input.pullNumber, events: ['pull_request'], ...cache });
  const source = githubConfigSource(client, cache);
  const pr = await facts.pullRequest();
  if (pr.state !== 'open') return { kind: 'skipped', why: 'the pull request is closed' };
  const change = await changesPolicy(input, facts, source, pr.baseSha, pr.headSha);
  if (change === 'unchanged') return { kind: 'skipped', why: `${CONFIG_PATH} is not changed` };
  let output: ConfigCheckOutput;
  if (change === 'deleted') output = renderConfigCheck({ kind: 'deleted' }, { baseRef: pr.baseRef });
  else {
    const text = await source.read({ owner, repo, path: CONFIG_PATH, ref: pr.headSha });
    const result = text === null ? ({ kind: 'deleted' } as const) : await resolveConfigText({ text, file: CONFIG_PATH, owner, source, origin: { ref: pr.headSha, fellBack: false } });
    output = renderConfigCheck(result, { baseRef: pr.baseRef });
  }
  const checkId = await publishConfigCheckOnce(deps, client, { owner, repo, headSha: pr.headSha, output });
  return { kind: 'published', checkId, conclusion: output.conclusion, annotations: output.annotations.length };
}
