/** Runs git (plumbing) in a bare repository with a clean, reproducible environment. */
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import type { GitIdentity } from './types.js';

/** Thrown when git exits non-zero. */
export class GitError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export const baseEnv: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  LANG: 'C',
  LC_ALL: 'C',
};

/** Runs git in a bare repository; resolves with stdout. */
export function git(gitDir: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; allowCodes?: number[] } = {}): Promise<{ stdout: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', ['--git-dir', gitDir, ...args], { env: { ...baseEnv, ...opts.env }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      if (err && !(code !== null && opts.allowCodes?.includes(code))) {
        reject(new GitError(`git ${args.join(' ')} failed (${code}): ${stderr.trim()}`, code, stderr));
        return;
      }
      resolve({ stdout, code: code ?? 0 });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function identityEnv(author: GitIdentity, committer: GitIdentity): NodeJS.ProcessEnv {
  const now = new Date().toISOString();
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_AUTHOR_DATE: author.date ?? now,
    GIT_COMMITTER_NAME: committer.name,
    GIT_COMMITTER_EMAIL: committer.email,
    GIT_COMMITTER_DATE: committer.date ?? now,
  };
}
