import type { NoteCommit, NoteEntry, ReleaseNotes } from './model.js';
import { shortSha } from '../text.js';

/** How to render the notes for one place. */
export interface RenderNotesOptions {
  /** Web URL of the repository (commit links). */
  repoUrl: string;
  /** Markdown heading level of the category titles (default 4: `####`). */
  headingLevel?: number;
  /** Commits outside PRs folded into a `<details>` block (default true: the gate comment, the PR body). */
  foldCommits?: boolean;
  /** At most this many entries in all (default: all); the rest are counted. */
  maxEntries?: number;
}

/** Text safe on one markdown list line: no line breaks, no HTML comment or @-mention by accident. */
export function inline(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/<!--/g, '&lt;!--')
    .replace(/@(?=[A-Za-z0-9-])/g, '@\u200b')
    .trim();
}

/** A person as the notes name them: a plain name (default: no notification), or an @-mention when configured. */
export function personText(name: string, isLogin: boolean, mentions: boolean): string {
  if (isLogin && mentions) return `@${name}`;
  return inline(name);
}

function entryLine(e: NoteEntry, mentions: boolean): string {
  return `- ${inline(e.title)} (#${e.number}) — ${personText(e.author, e.authorIsLogin, mentions)}`;
}

function commitLine(c: NoteCommit, repoUrl: string, mentions: boolean): string {
  return `- [\`${shortSha(c.sha)}\`](${repoUrl}/commit/${c.sha}) ${inline(c.subject)} — ${personText(c.author, c.authorIsLogin, mentions)}`;
}

/**
 * The notes as markdown lines: one heading per category with its PRs, then the commits outside any
 * PR, then what could not be read. Nothing pending renders as one line saying so.
 */
export function renderReleaseNotes(notes: ReleaseNotes, opts: RenderNotesOptions): string[] {
  const level = '#'.repeat(Math.min(6, Math.max(1, opts.headingLevel ?? 4)));
  const fold = opts.foldCommits ?? true;
  const max = opts.maxEntries ?? Number.POSITIVE_INFINITY;
  const lines: string[] = [];
  let shown = 0;
  let left = 0;
  if (!notes.pullsRead) lines.push('_Merged pull requests could not be listed; commits only._', '');
  for (const cat of notes.categories) {
    const fits = cat.entries.filter(() => shown++ < max);
    left += cat.entries.length - fits.length;
    if (fits.length === 0) continue;
    // Without categories the heading says nothing: a plain list.
    const plain = notes.categories.length === 1 && cat.uncategorized === true;
    lines.push(...(plain ? [] : [`${level} ${inline(cat.title)}`, '']), ...fits.map((e) => entryLine(e, notes.mentions)), '');
  }
  if (notes.commits.length > 0) {
    const commits = notes.commits.filter(() => shown++ < max);
    left += notes.commits.length - commits.length;
    const body = commits.map((c) => commitLine(c, opts.repoUrl, notes.mentions));
    if (body.length === 0) return finish(lines, notes, left);
    const title = `Commits outside a pull request (${notes.commits.length})`;
    if (fold) lines.push(`<details><summary>${title}</summary>`, '', ...body, '', '</details>', '');
    else lines.push(`${level} ${title}`, '', ...body, '');
  }
  return finish(lines, notes, left);
}

function finish(lines: string[], notes: ReleaseNotes, left: number): string[] {
  if (left > 0) lines.push(`_…and ${left} more not shown here._`, '');
  if (lines.length === 0 || (lines.length === 2 && !notes.pullsRead)) lines.push('_No changes._', '');
  if (!notes.complete) lines.push(`_Release notes may be incomplete: ${inline(notes.incomplete ?? 'not everything could be read')}._`, '');
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** One line summing the notes up: `3 pull requests, 1 direct commit by alice, bob`. */
export function summarizeNotes(notes: ReleaseNotes): string {
  const prs = notes.categories.reduce((n, c) => n + c.entries.length, 0);
  const parts: string[] = [];
  if (prs) parts.push(`${prs} pull request${prs === 1 ? '' : 's'}`);
  if (notes.commits.length) parts.push(`${notes.commits.length} commit${notes.commits.length === 1 ? '' : 's'} outside a pull request`);
  if (parts.length === 0) return 'no changes';
  return `${parts.join(', ')}${notes.authors.length ? ` by ${notes.authors.map((a) => inline(a)).join(', ')}` : ''}`;
}
