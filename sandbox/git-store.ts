import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** A person as git records them on a commit. */
export interface GitIdentity {
  name: string;
  email: string;
  /** ISO date; now when absent. */
  date?: string;
}

/** A commit as read back from git. */
export interface GitCommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Required<GitIdentity>;
  committer: Required<GitIdentity>;
  message: string;
}

/** One changed file between two commits, as `git diff` reports it. */
export interface GitFileChange {
  filename: string;
  previousFilename?: string;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  additions: number;
  deletions: number;
  patch: string;
  blobSha: string;
}

/** One entry of a tree listing. */
export interface GitTreeEntry {
  type: 'blob' | 'tree';
  sha: string;
  path: string;
  name: string;
  size: number;
}

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

const baseEnv: NodeJS.ProcessEnv = {
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

function identityEnv(author: GitIdentity, committer: GitIdentity): NodeJS.ProcessEnv {
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

  /** Resolves a ref, branch, tag or sha to a commit sha; null when unknown. */
  async resolve(ref: string): Promise<string | null> {
    if (!ref || ref.startsWith('-')) return null;
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
    const buf = Buffer.from(r.stdout, 'utf8');
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(10, pos);
      if (nl === -1) break;
      const header = buf.subarray(pos, nl).toString('utf8');
      const [sha = '', type, sizeText] = header.split(' ');
      if (type === 'missing' || !sizeText) {
        pos = nl + 1;
        continue;
      }
      const size = Number(sizeText);
      const body = buf.subarray(nl + 1, nl + 1 + size).toString('utf8');
      pos = nl + 1 + size + 1;
      if (type === 'commit') this.infoCache.set(sha, parseCommit(sha, body));
    }
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
    const args = ['rev-list', '--reverse', '--topo-order', head];
    if (base) args.push(`^${base}`);
    const r = await this.run(args);
    return r.stdout.split('\n').filter(Boolean);
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
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
    const counts = new Map<string, { add: number; del: number }>();
    {
      const parts = numstat.stdout.split('\0');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (!p) continue;
        const m = /^(\d+|-)\t(\d+|-)\t(.*)$/.exec(p);
        if (!m) continue;
        let name = m[3] ?? '';
        if (name === '') {
          i += 2;
          name = parts[i] ?? '';
        }
        counts.set(name, { add: m[1] === '-' ? 0 : Number(m[1]), del: m[2] === '-' ? 0 : Number(m[2]) });
      }
    }
    const out: GitFileChange[] = [];
    const parts = raw.stdout.split('\0');
    for (let i = 0; i < parts.length; i++) {
      const meta = parts[i];
      if (!meta || !meta.startsWith(':')) continue;
      const [, , , dstSha = '', statusCode = ''] = meta.slice(1).split(' ');
      const letter = statusCode[0];
      const src = parts[++i] ?? '';
      let dst = src;
      if (letter === 'R' || letter === 'C') dst = parts[++i] ?? '';
      const c = counts.get(dst) ?? { add: 0, del: 0 };
      const status: GitFileChange['status'] = letter === 'A' ? 'added' : letter === 'D' ? 'removed' : letter === 'R' ? 'renamed' : 'modified';
      const change: GitFileChange = { filename: dst, status, additions: c.add, deletions: c.del, patch: '', blobSha: status === 'removed' ? '0'.repeat(40) : dstSha };
      if (letter === 'R') change.previousFilename = src;
      out.push(change);
    }
    if (out.length > 0 && out.length <= 3000) {
      const full = await this.run(['diff', '--no-color', '-M', fromRef, to]);
      const chunks = full.stdout.split(/^diff --git /m).slice(1);
      if (chunks.length === out.length) {
        chunks.forEach((chunk, i) => {
          const f = out[i];
          const idx = chunk.indexOf('\n@@');
          if (f) f.patch = idx === -1 ? '' : chunk.slice(idx + 1).replace(/\n$/, '');
        });
      }
    }
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
    const entries: GitTreeEntry[] = [];
    for (const rec of ls.stdout.split('\0')) {
      if (!rec) continue;
      const m = /^\d+ (blob|tree|commit) ([0-9a-f]{40})\s+(-|\d+)\t(.*)$/.exec(rec);
      if (!m || m[1] === 'commit') continue;
      const name = m[4] ?? '';
      entries.push({ type: m[1] as 'blob' | 'tree', sha: m[2] ?? '', name, path: clean ? `${clean}/${name}` : name, size: m[3] === '-' ? 0 : Number(m[3]) });
    }
    return { type: 'tree', sha: objSha, entries };
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

function parseCommit(sha: string, text: string): GitCommitInfo {
  const sep = text.indexOf('\n\n');
  const head = text.slice(0, sep === -1 ? text.length : sep);
  const message = sep === -1 ? '' : text.slice(sep + 2).replace(/\n$/, '');
  let tree = '';
  const parents: string[] = [];
  const ids: Record<string, Required<GitIdentity>> = {};
  for (const line of head.split('\n')) {
    const sp = line.indexOf(' ');
    const key = line.slice(0, sp);
    const val = line.slice(sp + 1);
    if (key === 'tree') tree = val;
    else if (key === 'parent') parents.push(val);
    else if (key === 'author' || key === 'committer') {
      const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(val);
      if (m) ids[key] = { name: m[1] ?? '', email: m[2] ?? '', date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') };
    }
  }
  const unknown = { name: '', email: '', date: new Date(0).toISOString() };
  return { sha, tree, parents, author: ids.author ?? unknown, committer: ids.committer ?? unknown, message };
}
