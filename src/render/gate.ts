import type { ConfigError, ConfigOrigin } from '../config/load.js';
import { formatConfigError } from '../config/load.js';
import type { CommitFact, Listing, MergedPullFact, PullRequestFact } from '../facts/types.js';
import type { ApprovalVerdict, GateResult, RuleResult, RuleState } from '../gate/types.js';
import { GATE_MARKER, MERGE_MARKER } from '../protocol/markers.js';
import { RELEASE_NOTES_DEFAULTS } from '../config/schema.js';
import { buildReleaseNotes, type ReleaseNotes } from '../release-notes/model.js';
import { renderReleaseNotes } from '../release-notes/render.js';
import { GITHUB_TEXT_LIMIT, truncateMarkdown } from './limits.js';
import { shortSha, tableCell } from '../text.js';

/** Everything the gate comment and check run show; built by the outer layer, rendered purely. */
export interface GateView {
  result: GateResult;
  pullRequest: PullRequestFact;
  /** Commits of base..head; null when they could not be read. */
  commits: Listing<CommitFact> | null;
  /** Merged PRs in the range, for release notes; null when they could not be read. */
  mergedPulls: Listing<MergedPullFact> | null;
  /** The release notes of the range (src/release-notes); absent: built from `commits` and `mergedPulls` with default settings. */
  releaseNotes?: ReleaseNotes | null;
  configOrigin: ConfigOrigin;
  /** Web URL of the repository, e.g. https://github.com/acme/app. */
  repoUrl: string;
  /** The team (or user) on deploy duty for the stage, and the next hand-over (src/rotation). */
  duty?: { team: string; until: string | null } | null;
}

/** The check run's output. */
export interface CheckOutput {
  /** Absent while the gate is pending (the run stays `in_progress`, which keeps a required check unmet). */
  conclusion?: 'success' | 'failure';
  /** `in_progress` while the gate is pending, `completed` otherwise. */
  status: 'in_progress' | 'completed';
  title: string;
  summary: string;
  text?: string;
}

const ICON: Record<RuleState, string> = { passed: '✅', pending: '⏳', blocked: '⛔' };

const REFUSAL_TEXT: Record<NonNullable<ApprovalVerdict['refusal']>, string> = {
  'stale-commit': 'approved an older commit',
  author: 'authored a commit in the range',
  committer: 'committed a commit in the range',
  'co-author': 'co-authored a commit in the range',
  pusher: 'pushed a commit of the range',
  'not-eligible': 'is not an eligible reviewer',
  superseded: 'a later review replaced it',
  'pr-author': 'opened this pull request',
};

/** Escapes text for one markdown table cell. */
export const cell = tableCell;

function ruleRows(rules: RuleResult[], depth = 0): string[] {
  return rules.flatMap((r) => [
    `| ${'&nbsp;&nbsp;'.repeat(depth * 2)}${ICON[r.state]} ${cell(r.title)} | ${r.state} | ${cell(r.reason)} | ${cell(r.matched.join(', ') || '—')} |`,
    ...ruleRows(r.children ?? [], depth + 1),
  ]);
}

function rulesTable(rules: RuleResult[]): string {
  return ['| Rule | State | Why | Matched |', '| --- | --- | --- | --- |', ...ruleRows(rules)].join('\n');
}

function headline(r: GateResult): string {
  if (r.state === 'passed') return 'ready to merge — every rule passed';
  const open = r.rules.filter((x) => x.state !== 'passed');
  return `${r.state} — ${open.map((x) => x.title.toLowerCase()).join(', ')}`;
}

/** The break-glass banner: who, why, what it waived, and what it still owes. */
function breakGlassLines(r: GateResult): string[] {
  const bg = r.breakGlass;
  if (!bg) return [];
  const followUp = bg.followUp.issueUrl ? `[follow-up #${bg.followUp.issueNumber}](${bg.followUp.issueUrl})` : 'a follow-up issue (not opened yet)';
  return [
    `> [!CAUTION]`,
    `> **BREAK-GLASS** by @${bg.by} at ${bg.at}: “${bg.reason.replace(/\r?\n/g, ' ')}”.`,
    `> Waived: ${bg.waived.length ? bg.waived.map((w) => `\`${w}\``).join(', ') : 'nothing (every rule passed on its own)'}. It owes ${followUp}: ${bg.followUp.approvals} of ${bg.followUp.approvalsRequired} approval${bg.followUp.approvalsRequired === 1 ? '' : 's'} by ${bg.followUp.deadline}.`,
    '',
  ];
}

function signoffLines(approvals: ApprovalVerdict[]): string[] {
  if (approvals.length === 0) return ['_No reviews yet._'];
  return approvals.map((a) =>
    a.counted
      ? `- ✅ @${a.login} approved \`${shortSha(a.commitId)}\` at ${a.submittedAt}`
      : `- ❌ @${a.login} — not counted: ${REFUSAL_TEXT[a.refusal ?? 'not-eligible']}${a.detail ? ` (${a.detail})` : ''}`,
  );
}

function riskLines(result: GateResult): string[] {
  const risk = result.risk;
  if (!risk && !result.rules.some((r) => r.id === 'risk')) return ['_No risk tiers apply to this stage._'];
  if (!risk) return ['_The changed files could not be read; see the risk rule._'];
  if (risk.touched.length === 0) return ['_No risk tier touched._'];
  const lines = risk.touched.map((t) => {
    const sample = t.files
      .slice(0, 5)
      .map((f) => `\`${f}\``)
      .join(', ');
    const more = t.files.length > 5 ? ` and ${t.files.length - 5} more` : '';
    return `- \`${t.name}\` (${t.level}): ${t.files.length} file${t.files.length === 1 ? '' : 's'} — ${sample}${more}`;
  });
  if (risk.lowOnly) lines.push('', 'Every changed file is low risk: no manual sign-off is required.');
  if (risk.policyChanged.length > 0) {
    lines.push(
      '',
      `> [!WARNING]\n> **This promotion changes the policy itself** (${risk.policyChanged
        .slice(0, 5)
        .map((f) => `\`${f}\``)
        .join(
          ', ',
        )}${risk.policyChanged.length > 5 ? ', …' : ''}). It is signed off and verified under the base's current policy, never under its own; the new policy applies from the next promotion.`,
    );
  }
  return lines;
}

function releaseNotes(view: GateView): string[] {
  const commits = view.commits;
  if (!commits) return ['_Release notes unavailable: the commits could not be read._'];
  const notes =
    view.releaseNotes ??
    buildReleaseNotes({
      range: { from: view.result.baseSha, to: view.result.headSha },
      commits,
      pulls: view.mergedPulls,
      config: { stages: [], release_notes: RELEASE_NOTES_DEFAULTS },
    });
  return renderReleaseNotes(notes, { repoUrl: view.repoUrl, headingLevel: 4, maxEntries: 200 });
}

function rangeLine(view: GateView): string {
  const { result, repoUrl } = view;
  const count = view.commits ? `${view.commits.items.length}${view.commits.complete ? '' : '+'} commit${view.commits.items.length === 1 ? '' : 's'}` : 'commits unreadable';
  return `\`${shortSha(result.baseSha)}..${shortSha(result.headSha)}\` · [compare](${repoUrl}/compare/${result.baseSha}...${result.headSha}) · ${count}`;
}

function originLine(o: ConfigOrigin): string {
  const from = o.fellBack ? `\`.github/stagegate.yml\` from the default branch \`${o.ref}\` (the base branch has none)` : `\`.github/stagegate.yml\` from the base branch \`${o.ref}\``;
  return `Policy: ${from}${o.extendsFrom ? `, extending \`${o.extendsFrom}\`` : ''}.`;
}

/**
 * The gate comment, upserted on the PR through {@link GATE_MARKER}. It carries no time of its own (the
 * evaluation's time is the check run's `completed_at` and the audit record's): an unchanged result renders
 * the identical body, so re-evaluating writes nothing.
 */
export function renderGateComment(view: GateView): string {
  const { result } = view;
  const body = [
    GATE_MARKER,
    `## ${ICON[result.state]} Stagegate: ${result.breakGlass ? 'BREAK-GLASS ' : ''}promotion to \`${result.stage}\` is ${headline(result)}`,
    '',
    ...breakGlassLines(result),
    rangeLine(view),
    '',
    rulesTable(result.rules),
    '',
    '### Sign-off',
    ...signoffLines(result.approvals),
    ...(view.duty ? ['', `**On deploy duty:** \`${view.duty.team.replace(/`/g, '')}\` (requested as reviewer)${view.duty.until ? `; next hand-over ${view.duty.until}` : ''}`] : []),
    '',
    '### Risk tiers touched',
    ...riskLines(result),
    '',
    '### Release notes',
    ...releaseNotes(view),
    '',
    `<sub>${originLine(view.configOrigin)} Evaluated on head \`${shortSha(result.headSha)}\`.</sub>`,
  ].join('\n');
  return truncateMarkdown(body, GITHUB_TEXT_LIMIT);
}

/** The `stagegate` check run's output: success only when every rule passed. */
export function renderGateCheck(view: GateView): CheckOutput {
  const { result } = view;
  const summary = [...breakGlassLines(result), rangeLine(view), '', rulesTable(result.rules), '', originLine(view.configOrigin)].join('\n');
  const text = ['### Sign-off', ...signoffLines(result.approvals), '', '### Risk tiers touched', ...riskLines(result)].join('\n');
  return {
    ...(result.state === 'pending' ? {} : { conclusion: result.state === 'passed' ? ('success' as const) : ('failure' as const) }),
    status: result.state === 'pending' ? 'in_progress' : 'completed',
    title: `${result.breakGlass ? 'BREAK-GLASS — ' : ''}${result.stage}: ${headline(result)}`.slice(0, 255),
    summary: truncateMarkdown(summary),
    text: truncateMarkdown(text),
  };
}

/** A failing check for a configuration that does not validate. */
export function renderConfigErrorCheck(errors: ConfigError[], origin: ConfigOrigin | null): CheckOutput {
  const lines = errors.map((e) => `- \`${formatConfigError(e)}\``);
  return {
    conclusion: 'failure',
    status: 'completed',
    title: `Invalid configuration: ${errors.length} problem${errors.length === 1 ? '' : 's'} in ${errors[0]?.file ?? '.github/stagegate.yml'}`,
    summary: truncateMarkdown(
      [
        'Stagegate could not read its policy, so this promotion cannot pass. Nothing will be deployed until the configuration is fixed on the base branch.',
        '',
        ...lines,
        '',
        origin ? originLine(origin) : '',
      ].join('\n'),
    ),
  };
}

/** A failing check for a PR that was a promotion and no longer is (its base was retargeted). */
export function renderNotPromotionCheck(pr: PullRequestFact): CheckOutput {
  return {
    conclusion: 'failure',
    status: 'completed',
    title: 'Not a promotion',
    summary: `\`${pr.headRef}\` → \`${pr.baseRef}\` is not a promotion between stages in \`.github/stagegate.yml\`, so Stagegate does not gate it and will not deploy it. An earlier result on this commit no longer applies.`,
  };
}

/** What merging a promotion did. */
export type MergeOutcome =
  /** `deploymentId` is null in protection-rule mode: GitHub creates the deployment when the job starts. */
  | { kind: 'deployed'; stage: string; deploymentId: number | null; sha: string; workflow: string; dispatched: true }
  | { kind: 'dispatch-failed'; stage: string; deploymentId: number | null; sha: string; workflow: string; error: string }
  | { kind: 'bypassed'; stage: string; sha: string | null; state: RuleState; reasons: string[]; mergedBy: string | null }
  | { kind: 'config-invalid'; stage: string | null; errors: ConfigError[] };

/** The merge comment, upserted through {@link MERGE_MARKER}. */
export function renderMergeComment(o: MergeOutcome, repoUrl: string): string {
  const lines: string[] = [MERGE_MARKER];
  switch (o.kind) {
    case 'deployed':
      lines.push(
        `## 🚀 Deploying to \`${o.stage}\``,
        '',
        o.deploymentId === null
          ? `The workflow \`${o.workflow}\` was dispatched for \`${shortSha(o.sha)}\` ([commit](${repoUrl}/commit/${o.sha})). GitHub creates the deployment when its job starts, and Stagegate approves it as the environment's protection rule. Results will be posted here.`
          : `Deployment **#${o.deploymentId}** was created for \`${shortSha(o.sha)}\` ([commit](${repoUrl}/commit/${o.sha})) and the workflow \`${o.workflow}\` was dispatched. Results will be posted here.`,
      );
      break;
    case 'dispatch-failed':
      lines.push(
        `## ⛔ Deployment to \`${o.stage}\` could not start`,
        '',
        o.deploymentId === null
          ? `Dispatching \`${o.workflow}\` for \`${shortSha(o.sha)}\` failed: ${o.error}`
          : `Deployment **#${o.deploymentId}** was created for \`${shortSha(o.sha)}\`, but dispatching \`${o.workflow}\` failed: ${o.error}`,
        '',
        o.deploymentId === null
          ? `Fix the workflow, then run it by hand on the stage branch with inputs \`environment=${o.stage}\`, \`sha=${o.sha}\`; Stagegate approves its job for this merge commit.`
          : `The deployment was marked \`error\`. Fix the workflow, then run it by hand with inputs \`environment=${o.stage}\`, \`sha=${o.sha}\`, \`deployment_id=${o.deploymentId}\`.`,
      );
      break;
    case 'bypassed':
      lines.push(
        `## ⛔ Merged without a green gate — nothing was deployed`,
        '',
        `This pull request was merged${o.mergedBy ? ` by @${o.mergedBy}` : ''} while the \`stagegate\` gate was **${o.state}**, so Stagegate did not deploy \`${o.sha ? shortSha(o.sha) : 'the merge'}\` to \`${o.stage}\`. This bypass is recorded in the audit trail.`,
        '',
        ...o.reasons.map((r) => `- ${r}`),
      );
      break;
    case 'config-invalid':
      lines.push(`## ⛔ Merged, but the policy is invalid — nothing was deployed`, '', ...o.errors.map((e) => `- \`${formatConfigError(e)}\``));
      break;
  }
  return truncateMarkdown(lines.join('\n'));
}
