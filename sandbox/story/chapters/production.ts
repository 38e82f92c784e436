/** Chapter 2: staging → production under separation of duties; the release misbehaves and is rolled back. */
import { checkMark, ci, firstLine, REPO, verdictOf, waitForGate } from '../gate.js';
import { expectThat, type StoryStepDef } from '../step.js';

/** The steps from the production promotion PR to the automatic rollback and its report. */
export const productionSteps: StoryStepDef[] = [
  {
    title: 'Bob opens the promotion PR staging → production; CI is green, the gate is pending',
    async run({ sb, note, state }) {
      await ci(sb, state.productionHead);
      const mark = checkMark(sb);
      const pr = await sb.openPullRequest({ repo: REPO, head: 'staging', base: 'production', title: 'Promote staging to production', user: 'bob' });
      state.productionPr = pr.number;
      state.productionHead = pr.headSha;
      const gate = await waitForGate(sb, state.productionHead, (v) => v === 'pending', mark);
      note(`stagegate check on ${state.productionHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    },
  },
  {
    title: 'Alice, a release manager but the author of the feature, approves: her approval does not count (separation of duties)',
    async run({ sb, note, state }) {
      const mark = checkMark(sb);
      await sb.review({ repo: REPO, pr: state.productionPr, user: 'alice', event: 'APPROVE', commitId: state.productionHead });
      const gate = await waitForGate(sb, state.productionHead, () => true, mark);
      expectThat(verdictOf(gate) === 'pending', `the gate is ${verdictOf(gate)} after the author’s own approval, not pending`);
      const text = `${gate.output.summary ?? ''}\n${gate.output.text ?? ''}`;
      expectThat(/alice/i.test(text), 'the gate does not say why alice’s approval does not count');
      note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
      const why = text.split('\n').find((l) => /alice/i.test(l));
      if (why) note(`gate says: ${why.trim().slice(0, 160)}`);
    },
  },
  {
    title: 'Carol, a release manager who wrote none of it, approves; the gate turns green',
    async run({ sb, note, state }) {
      const mark = checkMark(sb);
      await sb.review({ repo: REPO, pr: state.productionPr, user: 'carol', event: 'APPROVE', commitId: state.productionHead });
      const gate = await waitForGate(sb, state.productionHead, (v) => v === 'success', mark);
      note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    },
  },
  {
    title: 'Carol merges; the release misbehaves in production: the metric check fails and the Action rolls back automatically',
    async run({ sb, world, note, state }) {
      world.productionBreaksNewReleases = true;
      note('(under production traffic the new release answers 40% of its requests with 500)');
      const mergeSha = await sb.merge(REPO, state.productionPr, 'carol');
      note(`merged as ${mergeSha.slice(0, 7)}`);
      const run = await sb.waitForWorkflowRun((x) => x.inputs.environment === 'production', 180_000);
      note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'} reason=${run.outputs['reason-code'] ?? '?'}`);
      expectThat(run.outputs.result === 'rolled_back', `expected result rolled_back, got ${run.outputs.result ?? 'none'}:\n${run.stderr.slice(-2000)}`);
      expectThat(run.outputs['reason-code'] === 'metrics-failed', `expected reason metrics-failed, got ${run.outputs['reason-code'] ?? 'none'}`);
      expectThat(run.conclusion === 'failure', 'a rolled-back deploy must fail the workflow run');
      const deps = sb.deploymentsOf(REPO).filter((d) => d.environment === 'production');
      const failedDep = deps.find((d) => String(d.id) === run.inputs.deployment_id);
      const rollback = deps.find((d) => (d.payload as { rollback_of?: number } | null)?.rollback_of === failedDep?.id);
      note(`deployment ${failedDep?.id}: ${failedDep?.statuses.map((s) => s.state).join(' → ')}`);
      note(`rollback deployment ${rollback?.id} of ${rollback?.sha.slice(0, 7)}: ${rollback?.statuses.map((s) => s.state).join(' → ')}`);
      expectThat(failedDep?.statuses.at(-1)?.state === 'failure', 'the failed deployment is not marked failure');
      expectThat(rollback?.sha === world.initialSha && rollback.statuses.at(-1)?.state === 'success', 'no successful rollback to the previous release');
      expectThat(world.production.release().version === world.initialSha, `production runs ${world.production.release().version}, not the previous release`);
    },
  },
  {
    title: 'The report: the production PR says what failed and that it was rolled back; a rolled-back deploy publishes no Release',
    async run({ sb, repo, note, state }) {
      const report = await sb.waitFor(
        () => [...repo.comments.values()].find((c) => c.issueNumber === state.productionPr && /stagegate:deployment:/.test(c.body)) ?? null,
        30_000,
        'the deployment report comment',
      );
      expectThat(/rolled back/i.test(report.body), 'the report does not say it rolled back');
      note(`report comment: ${firstLine(report.body)}`);
      await sb.settled();
      expectThat(repo.releases.size === 0, `a rolled-back deploy published ${repo.releases.size} Release(s)`);
      note('no GitHub Release was published for the rolled-back deploy');
    },
  },
];
