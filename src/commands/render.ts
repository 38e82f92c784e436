import { followUpState } from '../break-glass/apply.js';
import type { BreakGlass } from '../break-glass/types.js';
import type { GateResult } from '../gate/types.js';
import { describeLock } from '../locks/model.js';
import { marker } from '../protocol/markers.js';
import { cell } from '../render/gate.js';
import { truncateMarkdown } from '../render/limits.js';
import { COMMAND_INFO, type CommandName } from './names.js';
import type { CommandEffect, CommentTarget, EffectOutcome, StageDeployment, StageOverview } from './types.js';

/** The hidden marker of the reply to comment `commentId`: a retried command updates its reply instead of posting another. */
export function replyMarker(commentId: number): string {
  return marker(`reply:${commentId}`);
}

const short = (sha: string): string => sha.slice(0, 7);
const STATE_ICON = { passed: '✅', pending: '⏳', blocked: '⛔' } as const;

/** A reply: marker, who asked what, then the body. Never a line that starts with `/stagegate`, so a reply can never be read as a command. */
export function renderReply(p: { commentId: number; requester: string; commandText: string; body: string }): string {
  const asked = p.commandText.replace(/`/g, "'").slice(0, 200);
  return truncateMarkdown([replyMarker(p.commentId), `@${p.requester} \`${asked}\``, '', p.body].join('\n'));
}

/** The body of a refusal: nothing happened, and why. */
export function refusalBody(reason: string, hint?: string): string {
  return [`🚫 **Not done:** ${reason}`, ...(hint ? ['', hint] : [])].join('\n');
}

/** What `help` answers: the commands this person may run here, and the others they cannot. */
export function helpBody(allowed: readonly CommandName[], target: CommentTarget): string {
  const where =
    target.kind === 'promotion'
      ? `this promotion to \`${target.stage.name}\``
      : target.kind === 'issue'
        ? target.followUp
          ? 'this break-glass follow-up'
          : 'this issue'
        : 'this pull request (it promotes to no stage)';
  const rows = (Object.keys(COMMAND_INFO) as CommandName[]).map((name) => {
    const info = COMMAND_INFO[name];
    const here = info.place === 'anywhere' || (info.place === 'promotion' && target.kind === 'promotion') || (info.place === 'follow-up' && target.kind === 'issue' && target.followUp !== null);
    const mark = !allowed.includes(name) ? '🚫 not for you' : here ? '✅' : '— not here';
    return `| \`${info.usage}\` | ${cell(info.summary)} | ${mark} |`;
  });
  return [
    `**Stagegate commands** on ${where}:`,
    '',
    '| Command | What it does | You, here |',
    '| --- | --- | --- |',
    ...rows,
    '',
    'One command per comment, on a line of its own. Edited or deleted comments run nothing.',
  ].join('\n');
}

function deploymentText(d: StageDeployment | null): string {
  if (!d) return '—';
  const v = d.verdict;
  const verdict = v.kind === 'verified' ? `✅ verified ${v.verifiedAt}` : v.kind === 'pending' ? `⏳ ${v.why}` : v.kind === 'failed' ? `⛔ ${v.state}` : `⚠️ unverified (${v.why})`;
  return `\`${short(d.sha)}\`${d.pullRequest ? ` #${d.pullRequest}` : ''}${d.kind === 'rollback' ? ' (rollback)' : ''} since ${d.createdAt} (deployment ${d.id}) · ${verdict}`;
}

function followUpLine(bg: BreakGlass, now: Date): string {
  const state = followUpState(bg, now);
  const icon = state === 'overdue' ? '⚠️ **overdue**' : state === 'approved' ? '✅ approved' : '⏳ open';
  const issue = bg.followUp.issueUrl ? `[#${bg.followUp.issueNumber}](${bg.followUp.issueUrl})` : '(issue not opened)';
  return `- ${icon} ${issue}: break-glass by @${bg.by} on #${bg.pullRequest} (\`${bg.stage}\`, head \`${short(bg.headSha)}\`) — ${bg.followUp.approvals.length} of ${bg.followUp.approvalsRequired} approvals, due ${bg.followUp.deadline}`;
}

/** What `status` answers: this promotion's gate, then every stage (lock, what runs, pending), then break-glass follow-ups. */
export function statusBody(p: { repository: string; gate: GateResult | null; target: CommentTarget; stages: StageOverview[]; followUps: BreakGlass[]; now: Date }): string {
  const lines: string[] = [`**Stagegate status of ${p.repository}** at ${p.now.toISOString()}`, ''];
  if (p.gate) {
    const open = p.gate.rules.filter((r) => r.state !== 'passed');
    lines.push(
      `${STATE_ICON[p.gate.state]} **This promotion** to \`${p.gate.stage}\` (head \`${short(p.gate.headSha)}\`) is **${p.gate.state}**${p.gate.breakGlass ? ' under **BREAK-GLASS**' : ''}${open.length ? ':' : '.'}`,
      ...open.map((r) => `- ${STATE_ICON[r.state]} ${r.title}: ${r.reason}`),
      '',
    );
  } else if (p.target.kind === 'promotion') {
    lines.push(`This promotion to \`${p.target.stage.name}\` is ${p.target.pr.merged ? `merged (\`${short(p.target.pr.mergeCommitSha ?? '')}\`)` : 'closed'}.`, '');
  }
  if (p.stages.length) {
    lines.push('| Stage | Lock | Runs now | Pending |', '| --- | --- | --- | --- |');
    for (const s of p.stages) {
      const lock = s.lock ? `🔒 ${cell(describeLock(s.lock))}` : '—';
      const pending = s.pending.commits === null ? 'unknown' : s.pending.commits === 0 ? 'nothing' : `${s.pending.commits} commit${s.pending.commits === 1 ? '' : 's'} on \`${s.from}\``;
      lines.push(`| \`${s.stage}\` | ${lock} | ${cell(deploymentText(s.current))} | ${pending}${s.pending.pullRequest ? `, promotion #${s.pending.pullRequest}` : ''} |`);
    }
    lines.push('');
    const duty = p.stages.filter((s) => s.duty);
    for (const s of duty) {
      const d = s.duty!;
      lines.push(`**On deploy duty** for \`${s.stage}\`: \`${d.team}\`${d.until ? ` until ${d.until}${d.next ? `, then \`${d.next}\`` : ''}` : ''}.`);
    }
    if (duty.length) lines.push('');
  }
  const followUps = p.followUps.filter((f) => followUpState(f, p.now) !== 'approved');
  if (followUps.length) lines.push('**Break-glass follow-ups**', ...followUps.map((f) => followUpLine(f, p.now)), '');
  return lines.join('\n').trimEnd();
}

function reevaluatedText(prs: number[]): string {
  return prs.length ? ` Re-evaluated: ${prs.map((n) => `#${n}`).join(', ')}.` : '';
}

/** The reply body after an effect was carried out (or failed). */
export function outcomeBody(effect: CommandEffect, outcome: EffectOutcome, repoUrl: string): string {
  if (outcome.kind === 'failed') return [`⛔ **Failed:** ${outcome.error}`, ...(outcome.done ? ['', `What did happen: ${outcome.done}`] : [])].join('\n');
  switch (outcome.kind) {
    case 'recheck': {
      if (!outcome.gate) return `🔁 Re-evaluated: ${outcome.skipped ?? 'nothing to evaluate'}.`;
      const open = outcome.gate.rules.filter((r) => r.state !== 'passed');
      return [`🔁 Re-evaluated head \`${short(outcome.gate.headSha)}\`: ${STATE_ICON[outcome.gate.state]} **${outcome.gate.state}**.`, ...open.map((r) => `- ${r.title}: ${r.reason}`)].join('\n');
    }
    case 'merge': {
      const stage = effect.kind === 'merge' ? effect.stage : '';
      return `🚀 **Merged** as [\`${short(outcome.mergeSha)}\`](${repoUrl}/commit/${outcome.mergeSha}); the merge deploys it to \`${stage}\` (Stagegate re-checks the gate on the merged head first). The results will be posted on this pull request.`;
    }
    case 'redeploy': {
      if (effect.kind !== 'redeploy') return '';
      const what =
        effect.reason === 'rollback'
          ? `↩️ **Rolling back \`${effect.stage}\`** to [\`${short(effect.sha)}\`](${repoUrl}/commit/${effect.sha})${effect.target ? ` (verified in deployment ${effect.target})` : ''}`
          : `🔁 **Deploying \`${short(effect.sha)}\` to \`${effect.stage}\` again**`;
      const dep =
        outcome.deploymentId !== null
          ? `: deployment **${outcome.deploymentId}** was created and \`${outcome.workflow}\` dispatched`
          : `: \`${outcome.workflow}\` was dispatched (GitHub creates the deployment when its job starts)`;
      return `${what}${dep}. The Action deploys and verifies it; the results will be posted here.`;
    }
    case 'lock':
      return `🔒 **${outcome.result === 'renewed' ? 'Lock renewed' : 'Locked'} \`${outcome.lock.stage}\`**: ${describeLock(outcome.lock)}. Its gates stay pending and no merge deploys to it until \`unlock\` (by @${outcome.lock.holder} or an admin)${outcome.lock.expiresAt ? ' or the lock expires' : ''}.${reevaluatedText(outcome.reevaluated)}`;
    case 'unlock':
      return `🔓 **Unlocked \`${outcome.lock.stage}\`** (it was ${describeLock(outcome.lock)}).${reevaluatedText(outcome.reevaluated)}`;
    case 'break-glass': {
      const bg = outcome.breakGlass;
      const issue = outcome.issue
        ? `[#${outcome.issue.number}](${outcome.issue.url})`
        : `a follow-up issue, which could not be opened (${outcome.issueError ?? 'unknown error'}); it is recorded, and overdue follow-ups are flagged all the same`;
      const gate = outcome.gate
        ? outcome.gate.state === 'passed'
          ? 'The gate now passes: merge this pull request, or run `deploy`.'
          : `The gate is still **${outcome.gate.state}**: ${outcome.gate.rules
              .filter((r) => r.state !== 'passed')
              .map((r) => `${r.title}: ${r.reason}`)
              .join('; ')} (break-glass waives ${bg.waive.join(', ')} only).`
        : '';
      return [
        `🧯 **BREAK-GLASS** on \`${bg.stage}\` for head \`${short(bg.headSha)}\`: “${bg.reason}”. Waived: ${bg.waive.join(', ')}.`,
        '',
        `It needs ${bg.followUp.approvalsRequired} follow-up approval${bg.followUp.approvalsRequired === 1 ? '' : 's'} by ${bg.followUp.deadline} on ${issue}. ${gate}`,
      ].join('\n');
    }
    case 'approve':
      return outcome.approvals >= outcome.required
        ? `✅ **Break-glass approved**: ${outcome.approvals} of ${outcome.required} approvals.${outcome.closed ? ' This follow-up is closed.' : ''}`
        : `👍 Approval recorded: ${outcome.approvals} of ${outcome.required}; due ${outcome.breakGlass.followUp.deadline}.`;
  }
}

/** The follow-up issue opened for a break-glass. */
export function followUpIssue(bg: BreakGlass, p: { prUrl: string; reviewers: readonly string[] }): { title: string; body: string } {
  return {
    title: `Break-glass follow-up: #${bg.pullRequest} to ${bg.stage} by @${bg.by}`.slice(0, 256),
    body: [
      marker(`follow-up:${bg.id}`),
      `## 🧯 Break-glass follow-up`,
      '',
      `@${bg.by} broke the glass on [#${bg.pullRequest}](${p.prUrl}) (\`${bg.stage}\`, head \`${short(bg.headSha)}\`) at ${bg.at}${bg.commentUrl ? ` ([comment](${bg.commentUrl}))` : ''}:`,
      '',
      `> ${bg.reason.replace(/\r?\n/g, ' ')}`,
      '',
      `Waived: ${bg.waive.map((w) => `\`${w}\``).join(', ')}. Review what was deployed, then approve it here with a comment \`approve\` preceded by \`/stagegate\` on a line of its own.`,
      '',
      `It needs **${bg.followUp.approvalsRequired}** approval${bg.followUp.approvalsRequired === 1 ? '' : 's'} by **${bg.followUp.deadline}**, from ${p.reviewers.length ? p.reviewers.map((r) => (r.startsWith('@') ? `\`${r}\`` : `@${r}`)).join(', ') : 'anyone with write access'} (not @${bg.by}). Past the deadline it is flagged overdue on the pull request, in \`status\` and in the audit export.`,
    ].join('\n'),
  };
}

/** The notice posted on the pull request and the follow-up issue when a follow-up is overdue. */
export function overdueBody(bg: BreakGlass): string {
  return [
    marker(`overdue:${bg.id}`),
    `⚠️ **Break-glass follow-up overdue**: the break-glass by @${bg.by} on \`${bg.stage}\` (head \`${short(bg.headSha)}\`, “${bg.reason}”) has ${bg.followUp.approvals.length} of ${bg.followUp.approvalsRequired} approvals; it was due ${bg.followUp.deadline}.${bg.followUp.issueUrl ? ` Approve it on ${bg.followUp.issueUrl}.` : ''} This is recorded in the audit trail.`,
  ].join('\n');
}
