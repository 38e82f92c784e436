/** Parsers of git's machine-readable output (`cat-file`, `diff --numstat/--raw -z`, `ls-tree -l -z`). */
import type { GitCommitInfo, GitFileChange, GitIdentity, GitTreeEntry } from './types.js';

/** A commit object's text (`git cat-file commit`). */
export function parseCommit(sha: string, text: string): GitCommitInfo {
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

/** The commits of a `git cat-file --batch` output, by sha (other object types are skipped). */
export function parseCommitBatch(stdout: string): Map<string, GitCommitInfo> {
  const out = new Map<string, GitCommitInfo>();
  const buf = Buffer.from(stdout, 'utf8');
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
    if (type === 'commit') out.set(sha, parseCommit(sha, body));
  }
  return out;
}

/** Added/deleted line counts by (destination) file name, from `git diff --numstat -z -M`. */
export function parseNumstat(stdout: string): Map<string, { add: number; del: number }> {
  const counts = new Map<string, { add: number; del: number }>();
  const parts = stdout.split('\0');
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
  return counts;
}

/** The changed files of `git diff --raw -z -M --no-abbrev`, with counts from {@link parseNumstat}; patches empty. */
export function parseRawDiff(stdout: string, counts: Map<string, { add: number; del: number }>): GitFileChange[] {
  const out: GitFileChange[] = [];
  const parts = stdout.split('\0');
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
  return out;
}

/** Sets each file's `patch` (the hunks) from a full `git diff -M`, when its files line up with `files`. */
export function attachPatches(files: GitFileChange[], fullDiff: string): void {
  const chunks = fullDiff.split(/^diff --git /m).slice(1);
  if (chunks.length !== files.length) return;
  chunks.forEach((chunk, i) => {
    const f = files[i];
    const idx = chunk.indexOf('\n@@');
    if (f) f.patch = idx === -1 ? '' : chunk.slice(idx + 1).replace(/\n$/, '');
  });
}

/** The blob and tree entries of `git ls-tree -l -z` under `dir` (submodules skipped). */
export function parseTree(stdout: string, dir: string): GitTreeEntry[] {
  const entries: GitTreeEntry[] = [];
  for (const rec of stdout.split('\0')) {
    if (!rec) continue;
    const m = /^\d+ (blob|tree|commit) ([0-9a-f]{40})\s+(-|\d+)\t(.*)$/.exec(rec);
    if (!m || m[1] === 'commit') continue;
    const name = m[4] ?? '';
    entries.push({ type: m[1] as 'blob' | 'tree', sha: m[2] ?? '', name, path: dir ? `${dir}/${name}` : name, size: m[3] === '-' ? 0 : Number(m[3]) });
  }
  return entries;
}

/** `git diff-tree --stdin -r --name-status -z` output: each commit's sha, then status/path pairs. */
export function parseDiffTree(stdout: string, out: Map<string, { added: string[]; removed: string[]; modified: string[] }>): Map<string, { added: string[]; removed: string[]; modified: string[] }> {
  const parts = stdout.split('\0');
  let cur: { added: string[]; removed: string[]; modified: string[] } | null = null;
  for (let i = 0; i < parts.length; i++) {
    const p = (parts[i] ?? '').replace(/^\n/, '');
    if (!p) continue;
    if (/^[0-9a-f]{40}$/.test(p)) {
      cur = out.get(p) ?? { added: [], removed: [], modified: [] };
      out.set(p, cur);
      continue;
    }
    const path = parts[++i] ?? '';
    if (!cur) continue;
    if (p === 'A') cur.added.push(path);
    else if (p === 'D') cur.removed.push(path);
    else cur.modified.push(path);
  }
  return out;
}
