/** Reading the app's gate on a commit, and waiting for it: what the story and the e2e tests check. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { CheckRunState } from '../state.js';

/** The demo repository. */
export const REPO = 'acme/shop';

/** The app's `stagegate` check run on `sha` (latest), or null. */
export function gateCheck(sb: GitHubSandbox, sha: string, repo = REPO): CheckRunState | null {
  const runs = sb.checkRunsFor(repo, sha).filter((c) => c.name === 'stagegate' && c.app.id === sb.app.id);
  return runs.sort((a, b) => b.id - a.id)[0] ?? null;
}

/** The first line of a bot comment that is not a hidden marker, shortened. */
export function firstLine(body: string): string {
  return (body.split('\n').find((l) => l.trim() && !l.trim().startsWith('<!--')) ?? '').trim().slice(0, 140);
}

/** The gate's verdict as a reviewer sees it: `pending` while the run is in progress, else its conclusion. */
export function verdictOf(c: CheckRunState): string {
  return c.status === 'completed' ? (c.conclusion ?? 'unknown') : 'pending';
}

/** The newest check run id of the repo (to wait for an evaluation made after it). */
export function checkMark(sb: GitHubSandbox, repo = REPO): number {
  return Math.max(0, ...[...sb.repo(repo).checkRuns.keys()]);
}

/** Waits for the app's gate on `sha`, evaluated after `after` (a {@link checkMark}), whose verdict satisfies `pred`. */
export async function waitForGate(sb: GitHubSandbox, sha: string, pred: (verdict: string) => boolean, after = 0, timeoutMs = 30_000, repo = REPO): Promise<CheckRunState> {
  let last = 'none';
  try {
    return await sb.waitFor(
      () => {
        const c = gateCheck(sb, sha, repo);
        if (!c || c.id <= after) return null;
        last = verdictOf(c);
        return pred(last) ? c : null;
      },
      timeoutMs,
      `the stagegate check on ${sha.slice(0, 7)}`,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message} (last verdict: ${last})`);
  }
}

/** Runs CI on `sha` (the `build` check run a CI app would post). */
export async function ci(sb: GitHubSandbox, sha: string, repo = REPO): Promise<void> {
  await sb.addCheckRun(repo, { headSha: sha, name: 'build', conclusion: 'success', summary: 'Build and unit tests passed.' });
}

/** What {@link mergeFeature} merges: one commit by Alice on its own branch, reviewed by Bob. */
export interface FeatureChange {
  branch: string;
  files: Record<string, string>;
  message: string;
  title: string;
  label: string;
}

/** Alice's reviewed, labelled feature PR into master, CI green on its commit and on the merge; returns the PR number and merge commit. */
export async function mergeFeature(sb: GitHubSandbox, change: FeatureChange): Promise<{ number: number; sha: string; merge: string }> {
  await sb.createBranch(REPO, change.branch, 'master');
  const sha = await sb.push(REPO, { branch: change.branch, files: change.files, message: change.message, author: 'alice' });
  await ci(sb, sha);
  const pr = await sb.openPullRequest({ repo: REPO, head: change.branch, base: 'master', title: change.title, user: 'alice' });
  sb.addLabels(REPO, pr.number, [change.label]);
  await sb.review({ repo: REPO, pr: pr.number, user: 'bob', event: 'APPROVE' });
  const merge = await sb.merge(REPO, pr.number, 'alice');
  await ci(sb, merge);
  return { number: pr.number, sha, merge };
}
