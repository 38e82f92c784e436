import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shortSha } from '../text.js';

/** Work trees of other commits of the repository the Action runs in (the rollback target's). */
export interface WorkTrees {
  /** Checks out `sha` into a new, detached work tree (fetching the commit when the clone lacks it); returns its path. */
  checkout(sha: string): Promise<string>;
  /** Removes a work tree made by `checkout`. */
  remove(path: string): Promise<void>;
}

function git(cwd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`git ${args.join(' ')}: ${(stderr || err.message).trim().split('\n').slice(-3).join(' ')}`));
      else resolve(stdout);
    });
  });
}

/**
 * Work trees made with `git worktree` next to the workspace clone: the commit is fetched from
 * `origin` by SHA when a shallow checkout does not have it (actions/checkout keeps the credentials
 * for that), then checked out detached in a directory under `parent` (RUNNER_TEMP).
 */
export function gitWorkTrees(workspace: string, parent: string = process.env.RUNNER_TEMP || tmpdir()): WorkTrees {
  return {
    async checkout(sha) {
      const has = await git(workspace, ['cat-file', '-e', `${sha}^{commit}`]).then(
        () => true,
        () => false,
      );
      if (!has) await git(workspace, ['fetch', '--no-tags', '--depth=1', 'origin', sha]);
      const dir = await mkdtemp(join(parent, `stagegate-${shortSha(sha)}-`));
      await git(workspace, ['worktree', 'add', '--detach', '--force', dir, sha]);
      const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
      if (head.toLowerCase() !== sha.toLowerCase()) throw new Error(`the work tree has ${head.slice(0, 12)} checked out, not ${sha.slice(0, 12)}`);
      return dir;
    },
    async remove(path) {
      await git(workspace, ['worktree', 'remove', '--force', path]).catch(() => undefined);
      await rm(path, { recursive: true, force: true });
    },
  };
}
