import { describe, expect, it } from '@jest/globals';
import { RELEASE_NOTES_DEFAULTS, type Config } from '../../src/config/schema.js';
import type { CommitFact, MergedPullFact } from '../../src/facts/types.js';
import { buildReleaseNotes, isEmptyNotes, noteEntries } from '../../src/release-notes/model.js';
import { renderReleaseNotes, summarizeNotes } from '../../src/release-notes/render.js';

const sha = (c: string): string => c.repeat(40).slice(0, 40);
const commit = (id: string, parents: string[], message: string, author: string | null = 'alice', date = '2026-12-01T10:00:00Z'): CommitFact => ({
  sha: sha(id),
  message,
  author: { login: author, name: author ?? 'Zed Outsider', email: `${author ?? 'zed'}@acme.test`, date },
  committer: { login: author, name: author ?? 'Zed', email: 'x@acme.test' },
  coAuthors: [],
  parents: parents.map(sha),
});
const pull = (number: number, mergeCommit: string, over: Partial<MergedPullFact> = {}): MergedPullFact => ({
  number,
  title: `PR ${number}`,
  author: 'bob',
  htmlUrl: `https://github.com/acme/shop/pull/${number}`,
  commits: [sha(mergeCommit)],
  mergeCommitSha: sha(mergeCommit),
  mergedAt: `2026-12-01T1${number % 10}:00:00Z`,
  headRef: `feature-${number}`,
  baseRef: 'master',
  sameRepo: true,
  labels: [],
  ...over,
});
const stages = [
  { name: 'staging', branch: 'staging', from: 'master' },
  { name: 'production', branch: 'production', from: 'staging' },
] as unknown as Config['stages'];
const config = (notes: Partial<Config['release_notes']> = {}) => ({ stages, release_notes: { ...RELEASE_NOTES_DEFAULTS, ...notes } });

// History (oldest first): f1 on a feature branch merged by m1 (#1, true merge); s1 a squash commit (#2);
// r1, r2 a rebase merge (#3, merge_commit_sha = r2); d1 a direct push; p1 a promotion merge master → staging (#4).
const base = commit('0', [], 'base');
const f1 = commit('1', ['0'], 'feat: cart', 'carol');
const m1 = commit('2', ['0', '1'], 'Merge pull request #1 from acme/feature-1');
const s1 = commit('3', ['2'], 'Squashed (#2)');
const r1 = commit('4', ['3'], 'rebased one', 'dave');
const r2 = commit('5', ['4'], 'rebased two', 'dave');
const d1 = commit('6', ['5'], 'hotfix pushed directly\n\nbody', null);
const p1 = commit('7', ['0', '6'], 'Merge pull request #4 from acme/master');
const range = [f1, m1, s1, r1, r2, d1, p1];

describe('release-notes model', () => {
  const pulls = [
    pull(1, '2', { labels: ['feature'] }),
    pull(2, '3', { labels: ['bug'] }),
    pull(3, '5', { commits: [sha('5'), sha('4')], labels: ['skip-changelog'] }),
    pull(4, '7', { headRef: 'master', baseRef: 'staging', title: 'Promote master → staging' }),
  ];

  it('gives each commit to the PR that delivered it: merge, squash and rebase merges, and lists direct pushes', () => {
    const notes = buildReleaseNotes({ range: { from: base.sha, to: p1.sha }, commits: { complete: true, items: range }, pulls: { complete: true, items: pulls }, config: config() });
    const byNumber = new Map(noteEntries(notes).map((e) => [e.number, e]));
    expect(byNumber.get(1)?.commits).toEqual([f1.sha, m1.sha]);
    expect(byNumber.get(2)?.commits).toEqual([s1.sha]);
    expect(byNumber.get(3)?.commits).toEqual([r1.sha, r2.sha]);
    expect(notes.commits.map((c) => c.sha)).toEqual([d1.sha]);
    expect(notes.commits[0]).toMatchObject({ subject: 'hotfix pushed directly', author: 'Zed Outsider', authorIsLogin: false });
    expect(notes.promotions).toEqual([4]);
    expect(byNumber.has(4)).toBe(false);
    expect(notes.complete).toBe(true);
  });

  it('groups by the first matching label category, keeps the rest under "uncategorized", and leaves out excluded labels', () => {
    const notes = buildReleaseNotes({
      range: { from: base.sha, to: p1.sha },
      commits: { complete: true, items: range },
      pulls: { complete: true, items: pulls },
      config: config({
        categories: [
          { title: 'Fixes', labels: ['BUG'] },
          { title: 'Features', labels: ['feature', 'bug'] },
        ],
        exclude_labels: ['skip-changelog'],
        uncategorized: 'Misc',
      }),
    });
    expect(notes.categories.map((c) => [c.title, c.entries.map((e) => e.number)])).toEqual([
      ['Fixes', [2]],
      ['Features', [1]],
    ]);
    expect(notes.excluded).toEqual([3]);
    // The excluded PR's commits are not "outside a PR" either.
    expect(notes.commits.map((c) => c.sha)).toEqual([d1.sha]);
    const md = renderReleaseNotes(notes, { repoUrl: 'https://github.com/acme/shop' }).join('\n');
    expect(md).toContain('#### Fixes\n\n- PR 2 (#2) — bob');
    expect(md.indexOf('#### Fixes')).toBeLessThan(md.indexOf('#### Features'));
    expect(md).not.toContain('Promote master');
  });

  it('names people plainly by default and mentions them only when configured; a title cannot mention anyone', () => {
    const titled = [pull(1, '2', { title: 'thanks @everyone <!-- hide -->' })];
    const input = { range: { from: base.sha, to: m1.sha }, commits: { complete: true as const, items: [f1, m1] }, pulls: { complete: true as const, items: titled } };
    const plain = renderReleaseNotes(buildReleaseNotes({ ...input, config: config() }), { repoUrl: 'https://x' }).join('\n');
    expect(plain).toContain('— bob');
    expect(plain).not.toMatch(/@bob|@everyone/);
    expect(plain).not.toContain('<!--');
    const loud = renderReleaseNotes(buildReleaseNotes({ ...input, config: config({ mentions: true }) }), { repoUrl: 'https://x' }).join('\n');
    expect(loud).toContain('— @bob');
  });

  it('says when the notes may be incomplete, or are commits only', () => {
    const cut = buildReleaseNotes({ range: { from: null, to: p1.sha }, commits: { complete: false, items: range, reason: 'only 250 commits' }, pulls: null, config: config() });
    expect(cut.complete).toBe(false);
    const md = renderReleaseNotes(cut, { repoUrl: 'https://x' }).join('\n');
    expect(md).toContain('_Merged pull requests could not be listed; commits only._');
    expect(md).toContain('only 250 commits');
    expect(cut.commits.length).toBe(5);
  });

  it('an empty range, and one with only a promotion merge, say "no changes"', () => {
    const empty = buildReleaseNotes({ range: { from: p1.sha, to: p1.sha }, commits: { complete: true, items: [] }, pulls: { complete: true, items: [] }, config: config() });
    expect(isEmptyNotes(empty)).toBe(true);
    expect(renderReleaseNotes(empty, { repoUrl: 'https://x' })).toEqual(['_No changes._']);
    expect(summarizeNotes(empty)).toBe('no changes');
  });

  it('caps the number of entries and counts the rest', () => {
    const many = Array.from({ length: 5 }, (_, i) => commit(String.fromCharCode(97 + i), [], `c${i}`));
    const notes = buildReleaseNotes({ range: { from: null, to: many[4]!.sha }, commits: { complete: true, items: many }, pulls: { complete: true, items: [] }, config: config() });
    const md = renderReleaseNotes(notes, { repoUrl: 'https://x', maxEntries: 2, foldCommits: false }).join('\n');
    expect(md).toContain('#### Commits outside a pull request (5)');
    expect(md.match(/^- /gm)?.length).toBe(2);
    expect(md).toContain('_…and 3 more not shown here._');
    expect(summarizeNotes(notes)).toBe('5 commits outside a pull request by alice');
  });
});
