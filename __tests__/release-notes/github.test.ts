import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { configSchema } from '../../src/config/schema.js';
import { readReleaseNotes } from '../../src/release-notes/github.js';
import { noteEntries } from '../../src/release-notes/model.js';
import { renderReleaseNotes } from '../../src/release-notes/render.js';
import { client, seedShop } from '../sandbox/support.js';

let sb: GitHubSandbox;
beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
});
afterAll(async () => {
  await sb?.stop();
});
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

async function featurePr(branch: string, files: string[], title: string, method: 'merge' | 'squash' | 'rebase', labels: string[]): Promise<number> {
  await sb.createBranch('acme/shop', branch, 'master');
  for (const f of files) await sb.push('acme/shop', { branch, files: { [f]: `${f}\n` }, message: `add ${f}`, author: 'carol' });
  const pr = await sb.openPullRequest({ repo: 'acme/shop', head: branch, base: 'master', title, user: 'carol' });
  if (labels.length) sb.addLabels('acme/shop', pr.number, labels);
  await sb.merge('acme/shop', pr.number, 'bob', { method });
  return pr.number;
}

describe('release notes read from GitHub (the sandbox)', () => {
  it('finds merge, squash and rebase merged PRs, lists direct pushes, and leaves out the promotion PR', async () => {
    const config = configSchema.parse({
      stages: [
        { name: 'staging', branch: 'staging', from: 'master' },
        { name: 'production', branch: 'production', from: 'staging' },
      ],
      release_notes: {
        categories: [
          { title: 'Features', labels: ['feature'] },
          { title: 'Fixes', labels: ['bug'] },
        ],
      },
    });
    const before = (await sb.repo('acme/shop').git.branchSha('staging'))!;
    const merged = await featurePr('f-merge', ['m1.txt', 'm2.txt'], 'Cart', 'merge', ['feature']);
    const squashed = await featurePr('f-squash', ['s1.txt', 's2.txt'], 'Fix totals', 'squash', ['bug']);
    const rebased = await featurePr('f-rebase', ['r1.txt', 'r2.txt'], 'Faster search', 'rebase', []);
    const direct = await sb.push('acme/shop', { branch: 'master', files: { 'hot.txt': 'x\n' }, message: 'hotfix straight on master', author: 'alice' });
    const promo = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote master → staging', user: 'alice' });
    const to = await sb.merge('acme/shop', promo.number, 'bob');

    const gh = client(sb, sb.tokenFor('bob'));
    const notes = await readReleaseNotes(gh, { owner: 'acme', repo: 'shop', from: before, to }, config);
    expect(notes.complete).toBe(true);
    expect(notes.categories.map((c) => [c.title, c.entries.map((e) => e.number)])).toEqual([
      ['Features', [merged]],
      ['Fixes', [squashed]],
      ['Other changes', [rebased]],
    ]);
    expect(notes.promotions).toEqual([promo.number]);
    const byNumber = new Map(noteEntries(notes).map((e) => [e.number, e.commits.length]));
    expect(byNumber.get(merged)).toBe(3); // two commits and the merge commit
    expect(byNumber.get(squashed)).toBe(1);
    expect(byNumber.get(rebased)).toBe(2); // both rebased commits, not only merge_commit_sha
    expect(notes.commits.map((c) => c.sha)).toEqual([direct]);
    const md = renderReleaseNotes(notes, { repoUrl: 'https://example.test/acme/shop' }).join('\n');
    expect(md).toContain(`- Faster search (#${rebased}) — carol`);
    expect(md).not.toContain('Promote master');
    expect(md).not.toContain('@carol');
  });
});
