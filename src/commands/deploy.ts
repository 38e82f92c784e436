import type { PromotionPayload } from '../protocol/deployment-payload.js';
import { isFinalStage } from '../config/schema.js';
import { timingHolds, workflowFile } from './timing.js';
import type { CommandDecision, CommandDefinition, CommandContext } from './types.js';

const short = (sha: string): string => sha.slice(0, 7);

/**
 * `/stagegate deploy`. On an open promotion whose gate passes now: the app merges it (the
 * configured merge method), and the normal merge flow — which re-checks the gate on the merged
 * head under the base's policy — deploys it. On a merged promotion whose deployment failed or
 * errored (or never started): a new deployment of the same approved merge commit, under the
 * policy that approved it (`merge.approved`), through the same path the Action's preflight
 * accepts; windows, freezes and locks still apply. Anything else is refused, saying why.
 */
export const deployCommand: CommandDefinition<'deploy'> = {
  name: 'deploy',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind === 'invalid-config') return { kind: 'refuse', reason: 'the policy on the base branch does not validate, so nothing can be deployed (see the stagegate check)' };
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request' };
    const { pr, stage, config } = t;
    if (pr.state === 'open') {
      if (pr.draft) return { kind: 'refuse', reason: `#${pr.number} is a draft` };
      const gate = await ctx.facts.gate();
      if (gate.state !== 'passed') {
        const open = gate.rules.filter((r) => r.state !== 'passed').map((r) => `${r.title}: ${r.reason}`);
        return { kind: 'refuse', reason: `the gate is ${gate.state}${open.length ? ` — ${open.join('; ')}` : ''}`, hint: 'When it passes, run `deploy` again (or merge).' };
      }
      return { kind: 'act', effect: { kind: 'merge', pullNumber: pr.number, headSha: gate.headSha, method: config.commands.merge_method, stage: stage.name } };
    }
    if (!pr.merged || !pr.mergeCommitSha) return { kind: 'refuse', reason: `#${pr.number} was closed without merging` };
    return redeployMerged(ctx, pr.number, pr.mergeCommitSha, stage.name, isFinalStage(config, stage));
  },
};

async function redeployMerged(ctx: CommandContext, prNumber: number, mergeSha: string, stageName: string, production: boolean): Promise<CommandDecision> {
  const approval = await ctx.facts.mergeApproval(stageName, mergeSha);
  if (!approval) {
    return { kind: 'refuse', reason: `#${prNumber} was merged (\`${short(mergeSha)}\`) without a green gate, so Stagegate approved nothing to deploy`, hint: 'Open a new promotion pull request.' };
  }
  const head = await ctx.facts.branchHead(approval.stageConfig.branch);
  if (head.toLowerCase() !== mergeSha.toLowerCase()) {
    return {
      kind: 'refuse',
      reason: `\`${approval.stageConfig.branch}\` now points at \`${short(head)}\`, not at this merge \`${short(mergeSha)}\`: deploying it would roll \`${stageName}\` back unannounced`,
      hint: 'Deploy the newer promotion, or use `rollback` to go back to a verified release on purpose.',
    };
  }
  const list = await ctx.facts.deployments(stageName);
  const newest = list.items[0] ?? null;
  if (newest && newest.sha === mergeSha && newest.kind === 'promotion') {
    const v = newest.verdict;
    if (v.kind === 'verified') return { kind: 'refuse', reason: `\`${short(mergeSha)}\` is deployed to \`${stageName}\` and verified (deployment ${newest.id}, ${v.verifiedAt}): nothing to do` };
    if (v.kind === 'pending') return { kind: 'refuse', reason: `deployment ${newest.id} of \`${short(mergeSha)}\` is still under way (${v.why})`, hint: 'Wait for its result.' };
  }
  const holdsBack = await timingHolds(approval.stageConfig, ctx.now, { lock: (s) => ctx.facts.lock(s), breakGlass: async () => null });
  if (holdsBack.length) return { kind: 'refuse', reason: holdsBack.map((r) => `${r.title}: ${r.reason}`).join('; '), hint: 'Windows, freezes and locks apply to a new deployment too.' };
  const payload: PromotionPayload = {
    stagegate: 1,
    kind: 'promotion',
    stage: stageName,
    pull_request: approval.pullRequest,
    base: approval.baseSha,
    head: approval.headSha,
    merge_commit: mergeSha,
    approvers: approval.approvers,
    policy: approval.policy,
  };
  return {
    kind: 'act',
    effect: {
      kind: 'redeploy',
      reason: 'retry',
      stage: stageName,
      sha: mergeSha,
      pullRequest: approval.pullRequest,
      payload,
      mode: approval.mode,
      workflow: { file: workflowFile(approval.policy.workflow.path), ref: approval.policy.workflow.ref },
      production,
      replaces: newest?.id ?? null,
      target: null,
    },
  };
}
