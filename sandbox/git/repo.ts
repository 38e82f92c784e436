/** A bare git repository on disk, driven through git plumbing (commits, merges, diffs, contents, forks, checkouts). */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { baseEnv, git, GitError, identityEnv } from './exec.js';
import { attachPatches, parseCommit, parseCommitBatch, parseDiffTree, parseNumstat, parseRawDiff, parseTree } from './parse.js';
import type { GitCommitInfo, GitFileChange, GitIdentity, GitTreeEntry } from './types.js';

export type { GitCommitInfo, GitFileChange, GitIdentity, GitTreeEntry } from './types.js';
export { GitError, git } from './exec.js';

/** A bare git repository on disk, driven through git plumbing. */
export class GitRepo {
  constructor(readonly dir: string) {}

  /** Creates an empty bare repository at `dir`. */
  static async init(dir: string): Promise<GitRepo> {
    await mkdir(dir, { recursive: true });
    await git(dir, ['init', '--bare', '--quiet', '--initial-branch=main']);
    return new GitRepo(dir);
  }

  /** Creates a bare repository sharing the objects of `source` (a fork). */
  static async fork(source: GitRepo, dir: string): Promise<GitRepo> {
    const repo = await GitRepo.init(dir);
    await git(dir, ['fetch', '--quiet', source.dir, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
    return repo;
  }

  run(args: string[], opts?: Parameters<typeof git>[2]): Promise<{ stdout: string; code: number }> {
    return git(this.dir, args, opts);
  }

  /** Answers that full SHAs fix for good (what a commit range contains, merge bases), kept per repository. */
  private readonly byShas = new Map<string, Promise<unknown>>();

  /** Memoises `read` when every input is a full SHA (a SHA names fixed content, so the answer never changes). */
  private fixed<T>(key: string, inputs: Array<string | null>, read: () => Promise<T>): Promise<T> {
    if (!inputs.every((x) => x === null || /^[0-9a-f]{40}$/.test(x))) return read();
    let p = this.byShas.get(key) as Promise<T> | undefined;
    if (!p) {
      if (this.byShas.size >= 2000) this.byShas.clear();
      p = read();
      p.catch(() => this.byShas.delete(key));
      this.byShas.set(key, p);
    }
    return p;
  }

  /** Resolves a ref, branch, tag or sha to a commit sha; null when unknown. */
  async resolve(ref: string): Promise<string | null> {
    if (!ref || ref.startsWith('-')) return null;
    if (/^[0-9a-f]{40}$/.test(ref)) {
      const known = await this.fixed(`resolve:${ref}`, [ref], () => this.resolveNow(ref));
      if (known === null) this.byShas.delete(`resolve:${ref}`); // an object may arrive later (a push)
      return known;
    }
    return this.resolveNow(ref);
  }

  private async resolveNow(ref: string): Promise<string | null> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { allowCodes: [1, 128] });
    const sha = r.stdout.trim();
    return r.code === 0 && /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  }

  async branchSha(branch: string): Promise<string | null> {
    return this.resolve(`refs/heads/${branch}`);
  }

  async listBranches(): Promise<Array<{ name: string; sha: string }>> {
    const r = await this.run(['for-each-ref', '--format=%(refname:strip=2) %(objectname)', 'refs/heads/']);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name = '', sha = ''] = l.split(' ');
        return { name, sha };
      });
  }

  /** Moves `ref` to `sha`; `expectOld` makes it a compare-and-swap (null = must not exist). */
  async updateRef(ref: string, sha: string, expectOld?: string | null): Promise<void> {
    const args = ['update-ref', ref, sha];
    if (expectOld !== undefined) args.push(expectOld ?? '0'.repeat(40));
    await this.run(args);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.run(['update-ref', '-d', ref]);
  }

  /** Writes a commit whose tree is `parent`'s tree with `files` applied (null content deletes). */
  async commitFiles(opts: { parent: string | null; files: Record<string, string | Buffer | null>; message: string; author: GitIdentity; committer?: GitIdentity }): Promise<string> {
    const work = await mkdtemp(join(tmpdir(), 'sbx-idx-'));
    const env = { GIT_INDEX_FILE: join(work, 'index') };
    try {
      if (opts.parent) await this.run(['read-tree', opts.parent], { env });
      else await this.run(['read-tree', '--empty'], { env });
      for (const [path, content] of Object.entries(opts.files)) {
        const clean = path.replace(/^\/+/, '');
        if (content === null) {
          await this.run(['update-index', '--force-remove', '--', clean], { env });
          continue;
        }
        const file = join(work, 'blob');
        await writeFile(file, content);
        const blob = (await this.run(['hash-object', '-w', '--', file])).stdout.trim();
        const mode = clean.endsWith('.sh') ? '100755' : '100644';
        await this.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${clean}`], { env });
      }
      const tree = (await this.run(['write-tree'], { env })).stdout.trim();
      return await this.commitTree(tree, opts.parent ? [opts.parent] : [], opts.message, opts.author, opts.committer ?? opts.author);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  async commitTree(tree: string, parents: string[], message: string, author: GitIdentity, committer: GitIdentity): Promise<string> {
    const args = ['commit-tree', tree];
    for (const p of parents) args.push('-p', p);
    const r = await this.run(args, { env: identityEnv(author, committer), input: message.endsWith('\n') ? message : `${message}\n` });
    return r.stdout.trim();
  }

  /**
   * The tree of `commit`'s change (against `parent`) applied onto `onto` — what a rebase writes —, or
   * null when it does not apply. (git 2.39 has no `merge-tree --merge-base`: the patch is applied to a
   * temporary index instead.)
   */
  async cherryPick(onto: string, commit: string, parent: string): Promise<string | null> {
    const work = await mkdtemp(join(tmpdir(), 'sbx-pick-'));
    const env = { GIT_INDEX_FILE: join(work, 'index') };
    try {
      await this.run(['read-tree', onto], { env });
      const patch = (await this.run(['diff-tree', '-p', '--binary', parent, commit])).stdout;
      if (patch.trim() !== '') {
        const applied = await this.run(['apply', '--cached', '-'], { env, input: patch, allowCodes: [1] });
        if (applied.code !== 0) return null;
      }
      return (await this.run(['write-tree'], { env })).stdout.trim();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** A three-way merge of `theirs` into `ours` done by git; the tree, or null on conflict. */
  async mergeTree(ours: string, theirs: string): Promise<string | null> {
    const r = await this.run(['merge-tree', '--write-tree', '--no-messages', ours, theirs], { allowCodes: [1] });
    if (r.code !== 0) return null;
    return r.stdout.split('\n')[0]?.trim() ?? null;
  }

  private infoCache = new Map<string, GitCommitInfo>();

  /** Reads many commits with one git process (commits never change, so they are cached). */
  async prefetch(shas: string[]): Promise<void> {
    const missing = [...new Set(shas.filter((s) => /^[0-9a-f]{40}$/.test(s) && !this.infoCache.has(s)))];
    if (missing.length === 0) return;
    const r = await this.run(['cat-file', '--batch'], { input: `${missing.join('\n')}\n` });
    for (const [sha, info] of parseCommitBatch(r.stdout)) this.infoCache.set(sha, info);
  }

  async commitInfo(sha: string): Promise<GitCommitInfo | null> {
    const hit = this.infoCache.get(sha);
    if (hit) return hit;
    const r = await this.run(['cat-file', 'commit', sha], { allowCodes: [128] });
    if (r.code !== 0) return null;
    const info = parseCommit(sha, r.stdout);
    this.infoCache.set(sha, info);
    return info;
  }

  /** Commits reachable from `head` and not from `base`, oldest first (as GitHub lists them). */
  async revList(base: string | null, head: string): Promise<string[]> {
    return [...(await this.fixed(`revlist:${base ?? ''}..${head}`, [base, head], () => this.revListNow(base, head)))];
  }

  private async revListNow(base: string | null, head: string): Promise<string[]> {
    const args = ['rev-list', '--reverse', '--topo-order', head];
    if (base) args.push(`^${base}`);
    const r = await this.run(args);
    return r.stdout.split('\n').filter(Boolean);
  }

  /** Commits reachable from `head` and from none of `exclude` (shas), oldest first. */
  async revListExcluding(head: string, exclude: string[]): Promise<string[]> {
    const r = await this.run(['rev-list', '--reverse', '--topo-order', head, ...exclude.map((x) => `^${x}`)]);
    return r.stdout.split('\n').filter(Boolean);
  }

  /** The paths each commit added, removed and modified against its first parent (one `git diff-tree --stdin`). */
  async changedPaths(shas: string[]): Promise<Map<string, { added: string[]; removed: string[]; modified: string[] }>> {
    const out = new Map<string, { added: string[]; removed: string[]; modified: string[] }>();
    if (shas.length === 0) return out;
    const r = await this.run(['diff-tree', '--stdin', '-r', '--root', '--first-parent', '-m', '--name-status', '--no-renames', '-z'], { input: `${shas.join('\n')}\n` });
    return parseDiffTree(r.stdout, out);
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    return this.fixed(`mergebase:${a}:${b}`, [a, b], () => this.mergeBaseNow(a, b));
  }

  private async mergeBaseNow(a: string, b: string): Promise<string | null> {
    const r = await this.run(['merge-base', a, b], { allowCodes: [1] });
    return r.code === 0 ? r.stdout.trim() || null : null;
  }

  async isAncestor(ancestor: string, of: string): Promise<boolean> {
    const r = await this.run(['merge-base', '--is-ancestor', ancestor, of], { allowCodes: [1] });
    return r.code === 0;
  }

  /** Files changed from `from` (null = empty tree) to `to`, with patches. */
  async diff(from: string | null, to: string): Promise<GitFileChange[]> {
    const fromRef = from ?? (await this.emptyTree());
    const numstat = await this.run(['diff', '--no-color', '--numstat', '-z', '-M', fromRef, to]);
    const raw = await this.run(['diff', '--no-color', '--raw', '-z', '-M', '--no-abbrev', fromRef, to]);
    const out = parseRawDiff(raw.stdout, parseNumstat(numstat.stdout));
    if (out.length > 0 && out.length <= 3000) attachPatches(out, (await this.run(['diff', '--no-color', '-M', fromRef, to])).stdout);
    return out;
  }

  private emptyTreeSha: string | null = null;
  async emptyTree(): Promise<string> {
    if (!this.emptyTreeSha) this.emptyTreeSha = (await this.run(['hash-object', '-t', 'tree', '-w', '--stdin'], { input: '' })).stdout.trim();
    return this.emptyTreeSha;
  }

  /** The object at `path` in commit `sha`: a blob's content, a tree's entries, or null when absent. */
  async readPath(sha: string, path: string): Promise<{ type: 'blob'; sha: string; content: Buffer } | { type: 'tree'; sha: string; entries: GitTreeEntry[] } | null> {
    const clean = path.replace(/^\/+|\/+$/g, '');
    const spec = clean ? `${sha}:${clean}` : `${sha}^{tree}`;
    const t = await this.run(['cat-file', '-t', spec], { allowCodes: [1, 128] });
    if (t.code !== 0) return null;
    const type = t.stdout.trim();
    const objSha = (await this.run(['rev-parse', spec])).stdout.trim();
    if (type === 'blob') {
      const content = await new Promise<Buffer>((resolve, reject) => {
        execFile('git', ['--git-dir', this.dir, 'cat-file', 'blob', objSha], { env: baseEnv, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout) =>
          err ? reject(err) : resolve(stdout),
        );
      });
      return { type: 'blob', sha: objSha, content };
    }
    if (type !== 'tree') return null;
    const ls = await this.run(['ls-tree', '-l', '-z', spec]);
    return { type: 'tree', sha: objSha, entries: parseTree(ls.stdout, clean) };
  }

  /**
   * A tree listing as GitHub's trees API gives it: `treeish` is a tree, commit, branch or tag; `recursive` lists
   * every subtree's entries too (subtrees included). Null when `treeish` names no tree.
   */
  async lsTree(treeish: string, recursive: boolean): Promise<{ sha: string; entries: Array<{ path: string; mode: string; type: string; sha: string; size: number | null }> } | null> {
    if (!treeish || treeish.startsWith('-')) return null;
    const r = await this.run(['rev-parse', '--verify', '--quiet', `${treeish}^{tree}`], { allowCodes: [1, 128] });
    const sha = r.stdout.trim();
    if (r.code !== 0 || !/^[0-9a-f]{40}$/.test(sha)) return null;
    const ls = await this.run(['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), sha]);
    const entries = [];
    for (const rec of ls.stdout.split('\0')) {
      const m = /^(\d+) (blob|tree|commit) ([0-9a-f]{40})\s+(-|\d+)\t(.*)$/s.exec(rec);
      if (m) entries.push({ mode: m[1] ?? '', type: m[2] ?? '', sha: m[3] ?? '', size: m[4] === '-' ? null : Number(m[4]), path: m[5] ?? '' });
    }
    return { sha, entries };
  }

  /** Fetches `srcRef` of another repository into `dstRef` of this one. */
  async fetchFrom(other: GitRepo, srcRef: string, dstRef: string): Promise<void> {
    await this.run(['fetch', '--quiet', '--no-tags', other.dir, `+${srcRef}:${dstRef}`]);
  }

  /** Appends a linear series of commits on `parent` with one `git fast-import`; returns their shas, oldest first. */
  async importLinear(parent: string | null, commits: Array<{ files: Record<string, string>; message: string; author: GitIdentity }>): Promise<string[]> {
    const tmpRef = `refs/sandbox/import-${process.pid}-${Date.now()}`;
    const parts: string[] = [];
    const ts = Math.floor(Date.now() / 1000);
    commits.forEach((c, i) => {
      const who = `${c.author.name} <${c.author.email}> ${ts} +0000`;
      const msg = Buffer.byteLength(c.message);
      parts.push(`commit ${tmpRef}\nmark :${i + 1}\nauthor ${who}\ncommitter ${who}\ndata ${msg}\n${c.message}\n`);
      if (i === 0 && parent) parts.push(`from ${parent}\n`);
      for (const [path, content] of Object.entries(c.files)) parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`);
      parts.push('\n');
    });
    await this.run(['fast-import', '--quiet', '--force'], { input: parts.join('') });
    const tip = await this.resolve(tmpRef);
    await this.deleteRef(tmpRef);
    if (!tip) throw new GitError('fast-import produced no commit', null, '');
    return this.revList(parent, tip);
  }

  /** Checks out `sha` (detached) in a clone made by {@link checkout}. */
  async checkoutIn(dir: string, sha: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      execFile('git', ['--git-dir', join(dir, '.git'), '--work-tree', dir, 'checkout', '--quiet', '--detach', sha], { env: baseEnv, cwd: dir }, (err, _o, stderr) =>
        err ? reject(new GitError(`git checkout failed: ${stderr}`, null, String(stderr))) : resolve(),
      );
    });
  }

  /** Clones this repository into `dir` and checks out `sha` detached (a runner's checkout). */
  async checkout(sha: string, dir: string, branch?: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      execFile('git', ['clone', '--quiet', '--shared', '--no-checkout', this.dir, dir], { env: baseEnv }, (err, _o, stderr) =>
        err ? reject(new GitError(`git clone failed: ${stderr}`, null, String(stderr))) : resolve(),
      );
    });
    const wt = ['--git-dir', join(dir, '.git'), '--work-tree', dir];
    await new Promise<void>((resolve, reject) => {
      const args = branch ? [...wt, 'checkout', '--quiet', '-B', branch, sha] : [...wt, 'checkout', '--quiet', '--detach', sha];
      execFile('git', args, { env: baseEnv, cwd: dir }, (err, _o, stderr) => (err ? reject(new GitError(`git checkout failed: ${stderr}`, null, String(stderr))) : resolve()));
    });
  }
}
