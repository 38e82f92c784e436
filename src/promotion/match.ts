import { loadConfig, type ConfigError, type ConfigOrigin, type ConfigSource } from '../config/load.js';
import type { Config, StageConfig } from '../config/schema.js';
import type { PullRequestFact } from '../facts/types.js';
import type { GitHubRequester } from '../github/client.js';
import { githubConfigSource } from '../github/config-source.js';

/** What a pull request is to Stagegate. */
export type PromotionMatch =
  { kind: 'none'; why: string } | { kind: 'invalid-config'; errors: ConfigError[]; origin: ConfigOrigin } | { kind: 'promotion'; config: Config; stage: StageConfig; origin: ConfigOrigin };

/** The stage a head→base pair promotes to: head ref = stage.from, base ref = stage.branch. */
export function stageFor(config: Config, headRef: string, baseRef: string): StageConfig | undefined {
  return config.stages.find((s) => s.branch === baseRef && s.from === headRef);
}

/** A fork PR is never a promotion, whatever its branch names. */
export function isFork(pr: Pick<PullRequestFact, 'headRepo' | 'baseRepo'>): boolean {
  return pr.headRepo === null || pr.headRepo.toLowerCase() !== pr.baseRepo.toLowerCase();
}

/**
 * Decides whether a PR is a promotion, reading the policy from its base branch (or `configRef`,
 * e.g. the base as it was before a merge), falling back to the default branch only when that has
 * no file. The PR's head is never read.
 */
export async function matchPromotion(opts: {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pr: PullRequestFact;
  defaultBranch: string;
  configRef?: string;
  /** Where the policy is read (default: the contents API, unconditionally). */
  source?: ConfigSource;
}): Promise<PromotionMatch> {
  const { client, owner, repo, pr, defaultBranch } = opts;
  if (isFork(pr)) return { kind: 'none', why: `head ${pr.headRepo ?? '(deleted fork)'} is not ${pr.baseRepo}: fork PRs are never promotions` };
  const loaded = await loadConfig({ source: opts.source ?? githubConfigSource(client), owner, repo, baseRef: opts.configRef ?? pr.baseRef, defaultBranch });
  if (loaded.kind === 'absent') return { kind: 'none', why: 'no .github/stagegate.yml on the base or default branch' };
  if (loaded.kind === 'invalid') {
    // Without a valid policy the stages are unknown; PRs into the default branch are feature work, not promotions.
    if (pr.baseRef === defaultBranch) return { kind: 'none', why: 'invalid policy; PRs into the default branch are not promotions' };
    return { kind: 'invalid-config', errors: loaded.errors, origin: loaded.origin };
  }
  const stage = stageFor(loaded.config, pr.headRef, pr.baseRef);
  if (!stage) return { kind: 'none', why: `${pr.headRef} → ${pr.baseRef} matches no stage` };
  return { kind: 'promotion', config: loaded.config, stage, origin: loaded.origin };
}
