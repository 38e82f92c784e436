import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { GitHubRequester } from '../github/client.js';

/** Makes a GitHub client for a token and API base URL (the binary passes an Octokit one). */
export type GitHubFactory = (opts: { token: string; baseUrl: string }) => Promise<GitHubRequester>;

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** How to reach GitHub (validate's `_extends`, explain); absent, those commands say they cannot. */
  github?: GitHubFactory;
}

/** Exit codes of `stagegate`. `validate` exits 1 for an invalid file; `audit verify` adds 3 edited, 4 deleted, 5 reordered. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A mistake in how the command was called (exit 2). */
export class UsageError extends Error {}

/** `owner/name`. */
export const REPO_PATTERN = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** Writes a chunk, waiting for the stream to drain (bounded memory on large exports). */
export async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** The token and API base URL from the environment: GITHUB_TOKEN (or GH_TOKEN), GITHUB_API_URL. */
export function githubAccess(env: NodeJS.ProcessEnv, apiUrl?: string): { token: string | null; baseUrl: string } {
  const token = [env['GITHUB_TOKEN'], env['GH_TOKEN']].find((t) => t !== undefined && t.trim() !== '')?.trim() ?? null;
  const baseUrl = (apiUrl ?? env['GITHUB_API_URL'] ?? 'https://api.github.com').replace(/\/+$/, '');
  return { token, baseUrl };
}

/** A GitHub client with the environment's token, or a usage error saying what is missing. */
export async function githubClient(io: CliIo, apiUrl: string | undefined, why: string): Promise<GitHubRequester> {
  const { token, baseUrl } = githubAccess(io.env, apiUrl);
  if (!token) throw new UsageError(`${why} needs a GitHub token: set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the repository`);
  if (!io.github) throw new UsageError(`${why} needs GitHub access, which this build of the CLI does not have (run it as bin/stagegate.js)`);
  return io.github({ token, baseUrl });
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
