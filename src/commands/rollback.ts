import type { RollbackTarget } from './parse.js';
import { isFinalStage } from '../config/schema.js';
import { workflowFile } from './timing.js';
import type { CommandDefinition, StageDeployment } from './types.js';

const short = (sha: string): string => sha.slice(0, 7);

function matches(d: StageDeployment, t: RollbackTarget): boolean {
  return (t.maybeId && String(d.id) === t.text) || (t.maybeSha && d.sha.toLowerCase().startsWith(t.text));
}

/**
 * `/stagegate rollback [sha | deployment-id]`: redeploy the last verified deployment of this PR's
 * stage whose commit is not what runs now — or the named one — as a new deployment of that
 * commit under the policy that approved it. Only a deployment verified in this stage by
 * evidence (a successful run of the protected deploy workflow bound to it, never a status
 * string) can be a target. Allowed through windows, freezes and locks: it restores health.
 */
export const rollbackCommand: CommandDefinition<'rollback'> = {
  name: 'rollback',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request, so it names no stage to roll back' };
    const { stage, config } = t;
    if (config.deploy.mode === 'protection_rule') {
      return {
        kind: 'refuse',
        reason: 'rollback by command is not available in protection-rule mode yet: the environment’s protection rule approves only the stage branch’s newest merge',
        hint: 'Revert on the stage branch through a promotion.',
      };
    }
    const list = await ctx.facts.deployments(stage.name);
    const current = list.items[0];
    if (!current) return { kind: 'refuse', reason: `nothing has been deployed to \`${stage.name}\` by Stagegate yet` };
    if (current.verdict.kind === 'pending')
      return {
        kind: 'refuse',
        reason: `deployment ${current.id} (\`${short(current.sha)}\`) is still under way (${current.verdict.why})`,
        hint: 'Wait for it to finish, or cancel its run, then roll back.',
      };
    const verified = (d: StageDeployment): boolean => d.verdict.kind === 'verified' && d.kind === 'promotion' && d.payload !== null;
    let chosen: StageDeployment | undefined;
    const named = ctx.command.target;
    if (named) {
      const found = list.items.filter((d) => matches(d, named));
      if (found.length === 0) return { kind: 'refuse', reason: `no deployment of \`${stage.name}\` among the newest ${list.items.length} matches “${named.text}”` };
      const good = found.filter(verified);
      const shas = [...new Set(good.map((d) => d.sha))];
      if (shas.length > 1) return { kind: 'refuse', reason: `“${named.text}” matches several verified commits (${shas.map(short).join(', ')})`, hint: 'Name a longer SHA or the deployment id.' };
      chosen = good[0];
      if (!chosen) {
        const d = found[0]!;
        const why = d.verdict.kind === 'verified' ? 'it carries no Stagegate promotion payload to deploy it under' : d.verdict.why;
        return { kind: 'refuse', reason: `deployment ${d.id} (\`${short(d.sha)}\`) was not verified in \`${stage.name}\` (${why}): a rollback only restores a verified release` };
      }
      if (chosen.sha === current.sha && verified(current)) return { kind: 'refuse', reason: `\`${short(chosen.sha)}\` is what runs in \`${stage.name}\` now (deployment ${current.id}, verified)` };
    } else {
      chosen = list.items.find((d) => verified(d) && d.sha !== current.sha);
      if (!chosen) {
        return {
          kind: 'refuse',
          reason: `there is no earlier deployment of \`${stage.name}\` verified by evidence to roll back to (among the newest ${list.items.length}${list.complete ? '' : ', more exist'})`,
          hint: 'Name one with `rollback <sha>` if it is older.',
        };
      }
    }
    const payload = chosen.payload!;
    return {
      kind: 'act',
      effect: {
        kind: 'redeploy',
        reason: 'rollback',
        stage: stage.name,
        sha: chosen.sha,
        pullRequest: payload.pull_request,
        payload,
        mode: 'dispatch',
        workflow: { file: workflowFile(payload.policy.workflow.path), ref: payload.policy.workflow.ref },
        production: isFinalStage(config, stage),
        replaces: current.id,
        target: chosen.id,
      },
    };
  },
};
