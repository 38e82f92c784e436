/** The demo story, played against the sandbox, the real app, the real Action bundle, demo services and a real Prometheus. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitHubSandbox } from './github-sandbox.js';
import { checkMark, ci, firstLine, gateCheck, REPO, verdictOf, waitForGate } from './story/gate.js';
import type { World } from './story/world.js';
import { renderTranscript } from './transcript.js';

export { checkMark, ci, firstLine, gateCheck, verdictOf, waitForGate } from './story/gate.js';
export { createShopRepo, demoConfig, startWorld, type World } from './story/world.js';

/** One narrated step and whether it behaved as narrated. */
export interface StoryStep {
  title: string;
  ok: boolean;
  details: string[];
  error?: string;
}

/** What a played story produced. */
export interface StoryResult {
  ok: boolean;
  steps: StoryStep[];
  htmlFile: string | null;
  violations: GitHubSandbox['violations'];
}

/** Options of {@link playStory}. */
export interface StoryOptions {
  /** Where the HTML transcript goes (a directory). */
  outDir: string;
  /** Called with each line of narration as it happens. */
  narrate?: (line: string) => void;
}

/** Plays the story of `npm run demo`; never throws for a misbehaving step (it is reported). */
export async function playStory(world: World, opts: StoryOptions): Promise<StoryResult> {
  const { sb } = world;
  const say = opts.narrate ?? ((l: string) => console.log(l));
  const steps: StoryStep[] = [];
  const narration: string[] = [];
  let failed = false;

  async function step(title: string, body: (note: (s: string) => void) => Promise<void>): Promise<void> {
    const s: StoryStep = { title, ok: true, details: [] };
    steps.push(s);
    say(`\n▶ ${title}`);
    narration.push(title);
    if (failed) {
      s.ok = false;
      s.error = 'skipped: an earlier step did not behave as narrated';
      say(`  ✗ ${s.error}`);
      return;
    }
    try {
      await body((line) => {
        s.details.push(line);
        say(`  · ${line}`);
      });
      say('  ✓ as narrated');
    } catch (err) {
      s.ok = false;
      failed = true;
      s.error = err instanceof Error ? err.message : String(err);
      say(`  ✗ ${s.error}`);
    }
  }
  const expectThat = (cond: boolean, message: string): void => {
    if (!cond) throw new Error(message);
  };
  const r = sb.repo(REPO);
  let stagingPr = 0;
  let productionPr = 0;
  let stagingHead = '';
  let productionHead = '';

  await step('Alice merges her reviewed feature into master (not a promotion: Stagegate stays out of it)', async (note) => {
    await sb.createBranch(REPO, 'feature/discounts', 'master');
    const sha = await sb.push(REPO, {
      branch: 'feature/discounts',
      files: { 'src/discounts.ts': 'export const discount = (total: number): number => (total > 100 ? total * 0.9 : total);\n' },
      message: 'feat: volume discounts',
      author: 'alice',
    });
    await ci(sb, sha);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'feature/discounts', base: 'master', title: 'Volume discounts', user: 'alice' });
    await sb.review({ repo: REPO, pr: pr.number, user: 'bob', event: 'APPROVE' });
    const merge = await sb.merge(REPO, pr.number, 'alice');
    await ci(sb, merge);
    await sb.settled();
    note(`feature PR #${pr.number} merged into master as ${merge.slice(0, 7)}`);
    expectThat(gateCheck(sb, sha) === null, 'Stagegate gated a PR into master, which is no stage');
    expectThat(
      sb.deploymentsOf(REPO).every((d) => d.description === 'an earlier Stagegate release'),
      'a deployment was created for a non-promotion merge',
    );
  });

  await step('Alice opens the promotion PR master → staging; the gate is pending (no approval yet)', async (note) => {
    const mark = checkMark(sb);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'master', base: 'staging', title: 'Promote master to staging', user: 'alice' });
    stagingPr = pr.number;
    stagingHead = pr.headSha;
    const gate = await waitForGate(sb, stagingHead, (v) => v === 'pending', mark);
    note(`stagegate check on ${stagingHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    const comment = await sb.waitFor(() => [...r.comments.values()].find((c) => c.issueNumber === stagingPr && c.user.login === `${sb.app.slug}[bot]`) ?? null, 30_000, 'the gate comment');
    note(`gate comment posted by ${comment.user.login}: ${firstLine(comment.body)}`);
  });

  await step('Bob approves the exact head commit; the gate turns green', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: stagingPr, user: 'bob', event: 'APPROVE', commitId: stagingHead });
    const gate = await waitForGate(sb, stagingHead, (v) => v === 'success', mark);
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Bob merges: Stagegate creates a staging deployment and dispatches the deploy workflow; the Action deploys, smoke-tests and checks metrics', async (note) => {
    const runsBefore = sb.runner.runs.length;
    await sb.merge(REPO, stagingPr, 'bob');
    const run = await sb.waitForWorkflowRun((x) => x.inputs.environment === 'staging', 180_000);
    note(`workflow run ${run.id}: ${run.conclusion}, result=${run.outputs.result ?? '?'} reason=${run.outputs['reason-code'] ?? '?'}`);
    expectThat(sb.runner.runs.length === runsBefore + 1, `expected one workflow run, got ${sb.runner.runs.length - runsBefore}`);
    expectThat(run.conclusion === 'success' && run.outputs.result === 'success', `the staging deploy did not succeed:\n${run.stderr.slice(-2000)}`);
    const dep = sb.deploymentsOf(REPO).find((d) => String(d.id) === run.inputs.deployment_id);
    expectThat(dep !== undefined, 'the dispatched deployment does not exist');
    const states = dep?.statuses.map((s) => s.state) ?? [];
    note(`deployment ${dep?.id} of ${dep?.sha.slice(0, 7)} to staging: ${states.join(' → ')}`);
    expectThat(states[states.length - 1] === 'success', 'the staging deployment is not success');
    expectThat(world.staging.release().version === dep?.sha, `staging runs ${world.staging.release().version}, not ${dep?.sha}`);
    productionHead = (await r.git.branchSha('staging')) ?? '';
  });

  await step('The results comment is on the staging PR', async (note) => {
    const report = await sb.waitFor(() => [...r.comments.values()].find((c) => c.issueNumber === stagingPr && /stagegate:deployment:/.test(c.body)) ?? null, 30_000, 'the deployment report comment');
    note(`report comment by ${report.user.login}: ${firstLine(report.body)}`);
  });

  await step('Bob opens the promotion PR staging → production; CI is green, the gate is pending', async (note) => {
    await ci(sb, productionHead);
    const mark = checkMark(sb);
    const pr = await sb.openPullRequest({ repo: REPO, head: 'staging', base: 'production', title: 'Promote staging to production', user: 'bob' });
    productionPr = pr.number;
    productionHead = pr.headSha;
    const gate = await waitForGate(sb, productionHead, (v) => v === 'pending', mark);
    note(`stagegate check on ${productionHead.slice(0, 7)}: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Alice, a release manager but the author of the feature, approves: her approval does not count (separation of duties)', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: productionPr, user: 'alice', event: 'APPROVE', commitId: productionHead });
    const gate = await waitForGate(sb, productionHead, () => true, mark);
    expectThat(verdictOf(gate) === 'pending', `the gate is ${verdictOf(gate)} after the author’s own approval, not pending`);
    const text = `${gate.output.summary ?? ''}\n${gate.output.text ?? ''}`;
    expectThat(/alice/i.test(text), 'the gate does not say why alice’s approval does not count');
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
    const why = text.split('\n').find((l) => /alice/i.test(l));
    if (why) note(`gate says: ${why.trim().slice(0, 160)}`);
  });

  await step('Carol, a release manager who wrote none of it, approves; the gate turns green', async (note) => {
    const mark = checkMark(sb);
    await sb.review({ repo: REPO, pr: productionPr, user: 'carol', event: 'APPROVE', commitId: productionHead });
    const gate = await waitForGate(sb, productionHead, (v) => v === 'success', mark);
    note(`stagegate check: ${verdictOf(gate)} — ${gate.output.title ?? ''}`);
  });

  await step('Carol merges; the release misbehaves in production: the metric check fails and the Action rolls back automatically', async (note) => {
    world.productionBreaksNewReleases = true;
    note('(under production traffic the new release answers 40% of its requests with 500)');
    const mergeSha = await sb.merge(REPO, productionPr, 'carol');
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
  });

  await step('The report: the production PR says what failed and that it was rolled back', async (note) => {
    const report = await sb.waitFor(
      () => [...r.comments.values()].find((c) => c.issueNumber === productionPr && /stagegate:deployment:/.test(c.body)) ?? null,
      30_000,
      'the deployment report comment',
    );
    expectThat(/rolled back/i.test(report.body), 'the report does not say it rolled back');
    note(`report comment: ${firstLine(report.body)}`);
  });

  let htmlFile: string | null = null;
  try {
    htmlFile = join(opts.outDir, 'stagegate-demo.html');
    const lines = steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.title}${s.details.length ? ` — ${s.details.join('; ')}` : ''}${s.error ? ` — ${s.error}` : ''}`);
    await writeFile(htmlFile, await renderTranscript(sb, REPO, { title: 'Stagegate demo: acme/shop', narration: lines }));
  } catch (err) {
    say(`could not write the HTML transcript: ${(err as Error).message}`);
    htmlFile = null;
  }
  const violations = [...sb.violations];
  return { ok: steps.every((s) => s.ok) && violations.length === 0 && htmlFile !== null, steps, htmlFile, violations };
}
