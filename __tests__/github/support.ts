import { createHash } from 'node:crypto';
import type { GitHubRequester, Route, RouteParams, RouteResponse } from '../../src/github/client.js';

/** A commit of the fake repository. */
export interface FakeCommit {
  sha: string;
  tree: string;
  author: string;
  message?: string;
}

/** One request the fake answered. */
export interface FakeRequest {
  route: string;
  params: Record<string, unknown>;
  status: number;
  conditional: boolean;
}

/** A tree: path → blob id (flat), listed recursively or one level at a time. */
export type FakeTree = Map<string, string>;

function etagOf(body: unknown): string {
  return `W/"${createHash('sha1').update(JSON.stringify(body)).digest('hex')}"`;
}

/** An error shaped like Octokit's RequestError. */
function httpError(status: number, message: string, headers: Record<string, string> = {}): Error & { status: number; response: { headers: Record<string, string> } } {
  return Object.assign(new Error(message), { status, response: { headers } });
}

/**
 * A small in-memory GitHub for the facts layer's unit tests, answering the REST routes the facts
 * read with GitHub's conditional-request semantics: every GET carries an ETag of its body, a GET
 * with a matching `If-None-Match` is rejected with status 304 (as Octokit reports it) and does not
 * lower `x-ratelimit-remaining`. It records every request.
 */
export class FakeGitHub implements GitHubRequester {
  owner = 'acme';
  repo = 'shop';
  requests: FakeRequest[] = [];
  rateRemaining = 5000;
  pull = { number: 7, base: 'b'.repeat(40), head: 'h'.repeat(40), baseRef: 'production', headRef: 'staging', changedFiles: 1, state: 'open' as 'open' | 'closed' };
  /** The commits of base...head, oldest first. */
  commits: FakeCommit[] = [];
  /** Tree SHA of the merge base. */
  mergeBaseTree = 'tree-base';
  trees = new Map<string, FakeTree>();
  /** Trees whose recursive listing GitHub would truncate. */
  truncated = new Set<string>();
  reviews: { id: number; user: string; state: string; commit_id: string }[] = [];
  checkRuns: { id: number; name: string; status: string; conclusion: string | null }[] = [];
  permissions = new Map<string, string>();
  files = new Map<string, string>();
  closedPulls: { number: number; title: string; merge_commit_sha: string; merged_at: string; updated_at: string }[] = [];

  made(route: string): FakeRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  async request<R extends Route>(route: R, params?: RouteParams<R>): Promise<RouteResponse<R>> {
    const p = { ...(params ?? {}) } as Record<string, unknown> & { headers?: Record<string, string> };
    const ifNoneMatch = p.headers?.['if-none-match'];
    delete p.headers;
    const answer = this.answer(route, p);
    const rate = { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(this.rateRemaining) };
    if (answer.status >= 400) {
      this.rateRemaining--;
      this.requests.push({ route, params: p, status: answer.status, conditional: Boolean(ifNoneMatch) });
      throw httpError(answer.status, 'Not Found', rate);
    }
    const etag = etagOf(answer.body);
    if (ifNoneMatch === etag) {
      this.requests.push({ route, params: p, status: 304, conditional: true });
      throw httpError(304, 'Not modified', { ...rate, etag });
    }
    this.rateRemaining--;
    this.requests.push({ route, params: p, status: 200, conditional: Boolean(ifNoneMatch) });
    const headers: Record<string, string> = { ...rate, 'x-ratelimit-remaining': String(this.rateRemaining), etag, ...(answer.link ? { link: answer.link } : {}) };
    return { status: 200, url: '', headers, data: answer.body } as unknown as RouteResponse<R>;
  }

  private page<T>(items: T[], p: Record<string, unknown>): { body: T[]; link?: string } {
    const per = Number(p.per_page ?? 30);
    const page = Number(p.page ?? 1);
    const body = items.slice((page - 1) * per, page * per);
    return page * per < items.length ? { body, link: `<https://api.github.test/x?page=${page + 1}>; rel="next"` } : { body };
  }

  private commitJson(c: FakeCommit) {
    const email = `${c.author}@example.com`;
    return {
      sha: c.sha,
      parents: [],
      commit: {
        message: c.message ?? `change by ${c.author}`,
        author: { name: c.author, email, date: '2026-11-20T09:00:00Z' },
        committer: { name: c.author, email, date: '2026-11-20T09:00:00Z' },
        tree: { sha: c.tree },
      },
      author: { login: c.author },
      committer: { login: c.author },
    };
  }

  private changed(): { filename: string; status: string }[] {
    const head = this.commits[this.commits.length - 1];
    const before = this.trees.get(this.mergeBaseTree) ?? new Map<string, string>();
    const after = (head && this.trees.get(head.tree)) ?? new Map<string, string>();
    const out: { filename: string; status: string }[] = [];
    for (const [path, id] of after) if (before.get(path) !== id) out.push({ filename: path, status: before.has(path) ? 'modified' : 'added' });
    for (const path of before.keys()) if (!after.has(path)) out.push({ filename: path, status: 'removed' });
    return out;
  }

  private treeListing(sha: string, recursive: boolean): { sha: string; tree: { path: string; mode: string; type: string; sha: string }[]; truncated: boolean } | null {
    // Trees are stored flat; subtree SHAs are derived as `<tree>:<dir>`.
    const [root, dir] = sha.includes(':') ? (sha.split(/:(.*)/s) as [string, string]) : [sha, ''];
    const flat = this.trees.get(root);
    if (!flat) return null;
    const prefix = dir ? `${dir}/` : '';
    const entries = new Map<string, { path: string; mode: string; type: string; sha: string }>();
    for (const [path, id] of flat) {
      if (!path.startsWith(prefix)) continue;
      const rest = path.slice(prefix.length);
      const parts = rest.split('/');
      if (recursive) {
        for (let i = 1; i < parts.length; i++) {
          const d = parts.slice(0, i).join('/');
          entries.set(d, { path: d, mode: '040000', type: 'tree', sha: this.subtreeSha(root, prefix + d) });
        }
        entries.set(rest, { path: rest, mode: '100644', type: 'blob', sha: id });
      } else if (parts.length === 1) entries.set(rest, { path: rest, mode: '100644', type: 'blob', sha: id });
      else entries.set(parts[0]!, { path: parts[0]!, mode: '040000', type: 'tree', sha: this.subtreeSha(root, prefix + parts[0]!) });
    }
    const list = [...entries.values()];
    if (recursive && this.truncated.has(sha)) return { sha, tree: list.slice(0, 2), truncated: true };
    return { sha, tree: list, truncated: false };
  }

  /** A subtree's SHA: equal content, equal SHA (so identical directories are skipped by a walk). */
  private subtreeSha(root: string, dir: string): string {
    const flat = this.trees.get(root)!;
    const content = [...flat].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, id]) => `${p.slice(dir.length)}=${id}`);
    const digest = createHash('sha1').update(content.join('\n')).digest('hex');
    this.subtrees.set(digest, `${root}:${dir}`);
    return digest;
  }

  private readonly subtrees = new Map<string, string>();

  private answer(route: string, p: Record<string, unknown>): { status: number; body?: unknown; link?: string } {
    switch (route) {
      case 'GET /repos/{owner}/{repo}/pulls/{pull_number}':
        return {
          status: 200,
          body: {
            number: this.pull.number,
            title: 'Promote',
            html_url: `https://github.com/${this.owner}/${this.repo}/pull/7`,
            user: { login: 'alice' },
            state: this.pull.state,
            draft: false,
            merged: false,
            merge_commit_sha: null,
            merged_by: null,
            changed_files: this.pull.changedFiles,
            head: { ref: this.pull.headRef, sha: this.pull.head, repo: { full_name: `${this.owner}/${this.repo}` } },
            base: { ref: this.pull.baseRef, sha: this.pull.base, repo: { full_name: `${this.owner}/${this.repo}` } },
          },
        };
      case 'GET /repos/{owner}/{repo}/compare/{basehead}': {
        const pg = this.page(
          this.commits.map((c) => this.commitJson(c)),
          p,
        );
        const files = Number(p.page ?? 1) === 1 ? this.changed().slice(0, 300) : [];
        return {
          status: 200,
          link: pg.link,
          body: { total_commits: this.commits.length, commits: pg.body, files, merge_base_commit: { sha: this.pull.base, commit: { tree: { sha: this.mergeBaseTree } } } },
        };
      }
      case 'GET /repos/{owner}/{repo}/git/trees/{tree_sha}': {
        const sha = String(p.tree_sha);
        const listing = this.treeListing(this.subtrees.get(sha) ?? sha, p.recursive !== undefined);
        return listing ? { status: 200, body: { ...listing, sha } } : { status: 404 };
      }
      case 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}': {
        const c = this.commits.find((x) => x.sha === p.commit_sha);
        return c ? { status: 200, body: { sha: c.sha, tree: { sha: c.tree } } } : { status: 404 };
      }
      case 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews': {
        const pg = this.page(
          this.reviews.map((r) => ({ ...r, user: { login: r.user }, submitted_at: '2026-11-24T09:00:00Z' })),
          p,
        );
        return { status: 200, body: pg.body, link: pg.link };
      }
      case 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs': {
        const pg = this.page(
          this.checkRuns.map((c) => ({ ...c, started_at: '2026-11-24T08:00:00Z', html_url: null })),
          p,
        );
        return { status: 200, body: { total_count: this.checkRuns.length, check_runs: pg.body }, link: pg.link };
      }
      case 'GET /repos/{owner}/{repo}/commits/{ref}/statuses':
        return { status: 200, body: [] };
      case 'GET /repos/{owner}/{repo}/collaborators/{username}/permission': {
        const perm = this.permissions.get(String(p.username));
        return perm ? { status: 200, body: { permission: perm, role_name: perm } } : { status: 404 };
      }
      case 'GET /repos/{owner}/{repo}/pulls':
        return {
          status: 200,
          body: this.page(
            this.closedPulls.map((x) => ({ ...x, user: { login: 'bob' }, html_url: '' })),
            p,
          ).body,
        };
      case 'GET /repos/{owner}/{repo}/contents/{path}': {
        const text = this.files.get(String(p.path));
        return text === undefined ? { status: 404 } : { status: 200, body: { type: 'file', encoding: 'base64', content: Buffer.from(text).toString('base64'), sha: 'blob' } };
      }
      default:
        throw new Error(`the fake does not answer ${route}`);
    }
  }
}

/** `n` commits by `author`, each with its own tree. */
export function linearCommits(n: number, author = 'alice', prefix = 'c'): FakeCommit[] {
  return Array.from({ length: n }, (_, i) => ({ sha: createHash('sha1').update(`${prefix}${i}`).digest('hex'), tree: `tree-${prefix}${i}`, author }));
}
