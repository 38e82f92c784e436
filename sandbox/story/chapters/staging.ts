/** Chapter 1: a feature reaches master, Stagegate opens the standing promotion PR, and staging is gated and deployed. */
import { checkMark, firstLine, gateCheck, mergeFeature, REPO, verdictOf, waitForGate } from '../gate.js';
import { expectThat, type StoryStepDef } from '../step.js';

const bot = (ctx: { sb: { app: { slug: string } } }): string => `${ctx.sb.app.slug}[bot]`;

/** The steps from a feature merge to a verified staging deployment. */
export const stagingSteps: StoryStepDef[] = [
  {
    title: 'Alice merges her reviewed feature into master (not a promotion: Stagegate stays out of it)',
    async run({ sb, note, state }) {
      const { number, sha, merge } = await mergeFeature(sb, {
        branch: 'feature/discounts',
        files: { 'src/discounts.ts': 'export const discount = (total: number): number => (total > 100 ? total * 0.9 : total);\n' },
        message: 'feat: volume discounts',
        title: 'Volume discounts',
        label: 'feature',
      });
      state.notes.featurePr = number;
      note(`feature PR #${number} (label feature) merged into master as ${merge.slice(0, 7)}`);
      expectThat(gateCheck(sb, sha) === null, 'Stagegate gated a PR into master, which is no stage');
      expectThat(
        sb.deploymentsOf(REPO).every((d) => d.description === 'an earlier Stagegate release'),
        'a deployment was created for a non-promotion merge',
      );
    },
  },
  {
    title: 'Master moved, so Stagegate opens the standing promotion PR master → staging listing what is pending; the gate is pending (no approval yet)',
    async run(ctx) {
      const { sb, repo, note, state } = ctx;
      const pr = await sb.waitFor(() => [...repo.pulls.values()].find((p) => p.state === 'open' && p.headRef === 'master' && p.baseRef === 'staging') ?? null, 30_000, 'the standing promotion PR');
      expectThat(pr.user.login === bot(ctx), `the staging promotion PR was opened by ${pr.user.login}, not by Stagegate`);
      state.stagingPr = pr.number;
      state.stagingHead = pr.headSha;
      note(`Stagegate opened #${pr.number} “${pr.title}”`);
      const listed = `Volume discounts (#${state.notes.featurePr})`;
      await sb.waitFor(() => ((pr.body ?? '').includes(listed) ? true : null), 30_000, 'the pending feature in the standing PR body');
      note(`its body lists the pending change: ${listed}`);
      const gate = await waitForGate(sb, state.stagingHead, (v) => v === 'pending');
      note(`stagegate check on ${state.stagingHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
      const comment = await sb.waitFor(() => [...repo.comments.values()].find((c) => c.issueNumber === state.stagingPr && c.user.login === bot(ctx)) ?? null, 30_000, 'the gate comment');
      note(`gate comment posted by ${comment.user.login}: ${firstLine(comment.body)}`);
    },
  },
  {
    title: 'Bob approves the exact head commit; the gate turns green',
    async run({ sb, note, state }) {
      const mark = checkMark(sb);
      await sb.review({ repo: REPO, pr: state.stagingPr, user: 'bob', event: 'APPROVE', commitId: state.stagingHead });
      const gate = await waitForGate(sb, state.stagingHead, (v) => v === 'success', mark);
      note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    },
  },
  {
    title: 'Bob merges: Stagegate creates a staging deployment and dispatches the deploy workflow; the Action deploys, smoke-tests and checks metrics',
    async run({ sb, world, repo, note, state }) {
      const runsBefore = sb.runner.runs.length;
      await sb.merge(REPO, state.stagingPr, 'bob');
      const run = await sb.waitForWorkflowRun((x) => x.inputs.environment === 'staging', 180_000);
      note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'} reason=${run.outputs['reason-code'] ?? '?'}`);
      expectThat(sb.runner.runs.length === runsBefore + 1, `expected one workflow run, got ${sb.runner.runs.length - runsBefore}`);
      expectThat(run.conclusion === 'success' && run.outputs.result === 'success', `the staging deploy did not succeed:\n${run.stderr.slice(-2000)}`);
      const dep = sb.deploymentsOf(REPO).find((d) => String(d.id) === run.inputs.deployment_id);
      expectThat(dep !== undefined, 'the dispatched deployment does not exist');
      const states = dep.statuses.map((s) => s.state);
      note(`deployment ${dep.id} of ${dep.sha.slice(0, 7)} to staging: ${states.join(' → ')}`);
      expectThat(states[states.length - 1] === 'success', 'the staging deployment is not success');
      expectThat(world.staging.release().version === dep.sha, `staging runs ${world.staging.release().version}, not ${dep.sha}`);
      state.productionHead = (await repo.git.branchSha('staging')) ?? '';
    },
  },
  {
    title: 'The results comment is on the staging PR',
    async run({ sb, repo, note, state }) {
      const report = await sb.waitFor(
        () => [...repo.comments.values()].find((c) => c.issueNumber === state.stagingPr && /stagegate:deployment:/.test(c.body)) ?? null,
        30_000,
        'the deployment report comment',
      );
      note(`report comment by ${report.user.login}: ${firstLine(report.body)}`);
    },
  },
];
