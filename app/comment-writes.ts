import { createHash } from 'node:crypto';
import { paginate, statusOf, type GitHubRequester } from '../src/github/client.js';
import type { FactCache } from '../src/github/fact-cache.js';
import { isOwnComment } from '../src/protocol/markers.js';

/** Where a comment is, and the body it should have. */
export interface CommentTarget {
  owner: string;
  repo: string;
  issueNumber: number;
  /** A hidden HTML comment that marks the one comment of its kind (e.g. the gate comment). */
  marker: string;
  body: string;
  /** The app's own login (`<slug>[bot]`): only a comment it wrote is ever adopted. */
  author: string;
}

/** What remembering a comment keeps: its id and the fingerprint of the body last written. */
interface Remembered {
  id: number;
  fingerprint: string;
}

/** The fingerprint of a comment body (SHA-256): equal bodies, equal fingerprints. */
export function commentFingerprint(body: string): string {
  return createHash('sha256').update(body).digest('base64url');
}

function memoryKey(t: Pick<CommentTarget, 'owner' | 'repo' | 'issueNumber' | 'marker'>): string {
  return `comment:${`${t.owner}/${t.repo}`.toLowerCase()}#${t.issueNumber}:${t.marker}`;
}

/** Forgets the remembered state of a comment (e.g. after someone else edited it), so the next upsert looks again. */
export async function forgetComment(memory: FactCache, t: Pick<CommentTarget, 'owner' | 'repo' | 'issueNumber' | 'marker'>): Promise<void> {
  await memory.forget(`r:${memoryKey(t)}`);
}

/**
 * Creates or updates the one comment carrying `marker` (a hidden HTML comment) on an issue or PR,
 * **written by `author`** (the app's own login): a marker anyone else planted in their own comment is
 * never adopted. An unchanged body is left alone; a comment is never duplicated.
 *
 * With `memory`, the comment's id and the fingerprint of the body last written are remembered: an
 * unchanged body then costs no request at all, a changed one a single `PATCH` (no listing). If the
 * remembered comment is gone (404), the comments are listed again.
 */
export async function upsertComment(client: GitHubRequester, where: CommentTarget, memory?: FactCache): Promise<{ id: number; action: 'created' | 'updated' | 'unchanged' }> {
  const { owner, repo, issueNumber, marker, body } = where;
  const fingerprint = commentFingerprint(body);
  const key = memoryKey(where);
  const remember = async (id: number): Promise<void> => {
    await memory?.remember(key, { id, fingerprint } satisfies Remembered);
  };
  const known = await memory?.recall<Remembered>(key);
  if (known && typeof known.id === 'number') {
    if (known.fingerprint === fingerprint) return { id: known.id, action: 'unchanged' };
    try {
      await client.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: known.id, body });
      await remember(known.id);
      return { id: known.id, action: 'updated' };
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      await forgetComment(memory!, where);
    }
  }
  const { items } = await paginate(client, 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: issueNumber }, (d) => d);
  const mine = items.find((c) => isOwnComment(c, marker, where.author));
  if (mine) {
    const id = Number(mine.id);
    if (mine.body === body) {
      await remember(id);
      return { id, action: 'unchanged' };
    }
    await client.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: id, body });
    await remember(id);
    return { id, action: 'updated' };
  }
  const res = await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', { owner, repo, issue_number: issueNumber, body });
  const id = Number(res.data.id);
  await remember(id);
  return { id, action: 'created' };
}
