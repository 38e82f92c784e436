/** Chapter 3: Alice fixes forward; the fix goes through staging to production, is verified, and Stagegate publishes the Release. */
import { checkMark, ci, mergeFeature, REPO, verdictOf, waitForGate } from '../gate.js';
import { expectThat, type StoryContext, type StoryStepDef } from '../step.js';

const FIX_TITLE = 'Fix the discount rounding that broke production';

/** Waits for a completed deploy run of `environment` the story has not seen yet. */
async function newRun(ctx: StoryContext, environment: string) {
  const seen = new Set(
    String(ctx.state.notes.seenRuns ?? '')
      .split(',')
      .filter(Boolean)
      .map(Number),
  );
  const run = await ctx.sb.waitForWorkflowRun((x) => x.inputs.environment === environment && !seen.has(x.id), 180_000);
  ctx.state.notes.seenRuns = [...seen, run.id].join(',');
  return run;
}

/** The steps from a fix on master to a verified production deploy and its GitHub Release. */
export const releaseSteps: StoryStepDef[] = [
  {
    title: 'Alice fixes forward: her fix (label bug) merges into master, and Stagegate opens a new standing promotion PR listing it',
    async run(ctx) {
      const { sb, repo, world, note, state } = ctx;
      ctx.state.notes.seenRuns = sb.runner.runs.map((r) => r.id).join(',');
      world.productionBreaksNewReleases = false;
      note('(the fix makes new releases healthy in production again)');
      const fix = await mergeFeature(sb, {
        branch: 'fix/discount-rounding',
        files: { 'src/discounts.ts': 'export const discount = (total: number): number => (total > 100 ? Math.round(total * 90) / 100 : total);\n' },
        message: 'fix: round discounted totals to cents',
        title: FIX_TITLE,
        label: 'bug',
      });
      const merge = fix.merge;
      state.notes.fixPr = fix.number;
      note(`fix PR #${fix.number} merged into master as ${merge.slice(0, 7)}`);
      const previous = state.stagingPr;
      const pr = await sb.waitFor(
        () => [...repo.pulls.values()].find((p) => p.state === 'open' && p.headRef === 'master' && p.baseRef === 'staging' && p.number !== previous) ?? null,
        30_000,
        'the new standing promotion PR',
      );
      await sb.waitFor(() => ((pr.body ?? '').includes(`(#${fix.number})`) ? true : null), 30_000, 'the fix in the standing PR body');
      expectThat(!(pr.body ?? '').includes(`(#${state.notes.featurePr})`), 'the standing PR lists the feature that staging already runs');
      state.stagingPr = pr.number;
      state.stagingHead = pr.headSha;
      note(`Stagegate opened #${pr.number} “${pr.title}”, listing only the fix`);
    },
  },
  {
    title: 'Bob approves and merges; the fix is deployed to staging and verified',
    async run(ctx) {
      const { sb, repo, world, note, state } = ctx;
      const mark = checkMark(sb);
      await sb.review({ repo: REPO, pr: state.stagingPr, user: 'bob', event: 'APPROVE', commitId: state.stagingHead });
      await waitForGate(sb, state.stagingHead, (v) => v === 'success', mark);
      await sb.merge(REPO, state.stagingPr, 'bob');
      const run = await newRun(ctx, 'staging');
      note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'}`);
      expectThat(run.outputs.result === 'success', `the staging deploy of the fix did not succeed:\n${run.stderr.slice(-2000)}`);
      state.productionHead = (await repo.git.branchSha('staging')) ?? '';
      expectThat(world.staging.release().version === state.productionHead, 'staging does not run the fix');
    },
  },
  {
    title: 'Bob opens staging → production again; Carol approves; the gate is green (verified in staging and soaked)',
    async run({ sb, note, state }) {
      await ci(sb, state.productionHead);
      const pr = await sb.openPullRequest({ repo: REPO, head: 'staging', base: 'production', title: 'Promote the fix to production', user: 'bob' });
      state.productionPr = pr.number;
      state.productionHead = pr.headSha;
      const mark = checkMark(sb);
      await sb.review({ repo: REPO, pr: pr.number, user: 'carol', event: 'APPROVE', commitId: pr.headSha });
      const gate = await waitForGate(sb, pr.headSha, (v) => v === 'success', mark, 60_000);
      note(`stagegate check on #${pr.number}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    },
  },
  {
    title: 'Carol merges; production is deployed, healthy and verified, and Stagegate publishes a GitHub Release with notes by category',
    async run(ctx) {
      const { sb, repo, world, note, state } = ctx;
      const mergeSha = await sb.merge(REPO, state.productionPr, 'carol');
      const run = await newRun(ctx, 'production');
      note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'}`);
      expectThat(run.outputs.result === 'success', `the production deploy of the fix did not succeed:\n${run.stderr.slice(-2000)}`);
      expectThat(world.production.release().version === mergeSha, `production runs ${world.production.release().version}, not ${mergeSha}`);
      const release = await sb.waitFor(() => [...repo.releases.values()][0] ?? null, 30_000, 'the Release');
      await sb.settled();
      expectThat(repo.releases.size === 1, `${repo.releases.size} Releases were published, not one`);
      expectThat(release.targetCommitish === mergeSha || (await repo.git.resolve(`refs/tags/${release.tagName}`)) === mergeSha, 'the Release is not on the deployed commit');
      const body = release.body ?? '';
      note(`Release ${release.tagName} “${release.name ?? ''}” by ${release.author.login}`);
      // The feature's earlier deploy was rolled back, so this Release covers it too.
      expectThat(body.includes(`Volume discounts (#${state.notes.featurePr})`), 'the Release notes do not list the feature whose deploy was rolled back');
      expectThat(body.includes(`${FIX_TITLE} (#${state.notes.fixPr})`), 'the Release notes do not list the fix');
      expectThat(/### Features/.test(body) && /### Fixes/.test(body), 'the Release notes are not grouped by category');
      expectThat(!/Promote (master|staging)/.test(body), 'the Release notes list promotion PRs');
      for (const line of body.split('\n').filter((l) => l.startsWith('- ') || l.startsWith('### '))) note(`  ${line}`);
    },
  },
];
