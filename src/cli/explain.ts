import { formatConfigError, type ConfigOrigin } from '../config/load.js';
import type { ApprovalVerdict, GateResult, RuleResult } from '../gate/types.js';
import { openAuditStore } from '../audit/open.js';
import { protectionApprovalKey, type AuditDatabase } from '../audit/types.js';
import { statusOf } from '../github/client.js';
import { evaluatePullRequest, type PullEvaluation } from '../promotion/evaluate.js';
import { EXIT, githubClient, REPO_PATTERN, UsageError, write, type CliIo } from './common.js';
import { shortSha } from '../text.js';

/** Options of `stagegate explain`. */
export interface ExplainRequest {
  repo: string;
  pr: string;
  format: 'text' | 'json';
  apiUrl?: string;
  /** The Stagegate app's slug (its deployments and approvals are the evidence; default `stagegate`). */
  app?: string;
  /** The app's audit store (its protection-rule approvals), as the audit commands select it. */
  databaseUrl?: string;
  dataDir?: string;
}

const ICON = { passed: '✓', pending: '…', blocked: '✗' } as const;

function ruleLines(r: RuleResult, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const when = r.nextChangeAt ? ` (may change at ${r.nextChangeAt})` : '';
  return [`${pad}${ICON[r.state]} ${r.state.padEnd(7)} ${r.title}: ${r.reason}${when}`, ...(r.children ?? []).flatMap((c) => ruleLines(c, depth + 1))];
}

function approvalLine(a: ApprovalVerdict): string {
  const commit = shortSha(a.commitId);
  return a.counted
    ? `  ✓ ${a.login} approved ${commit} at ${a.submittedAt}: counts`
    : `  ✗ ${a.login} approved ${commit} at ${a.submittedAt}: does not count (${a.refusal ?? 'refused'}${a.detail ? `: ${a.detail}` : ''})`;
}

function originLine(o: ConfigOrigin): string {
  const where = o.fellBack ? `the default branch ${o.ref} (the base has none)` : `the base ${o.ref}`;
  return `policy: .github/stagegate.yml from ${where}${o.blobSha ? `, blob ${o.blobSha.slice(0, 12)}` : ''}${o.extendsFrom ? `, extending ${o.extendsFrom}` : ''}`;
}

/** The rule tree of an evaluation, as a terminal shows it. */
export function explainText(e: PullEvaluation, repository: string): string {
  const pr = e.pr;
  const head = `${repository}#${pr.number} "${pr.title}": ${pr.headRef} → ${pr.baseRef}, head ${shortSha(pr.headSha)}`;
  if (e.kind === 'closed') return `${head}\nclosed: Stagegate does not gate closed pull requests\n`;
  if (e.kind === 'not-promotion') return `${head}\nnot a promotion: ${e.match.why}\n`;
  if (e.kind === 'invalid-config') {
    return [head, `blocked: the policy does not validate, so this promotion cannot pass`, ...e.match.errors.map((x) => `  ${formatConfigError(x)}`), originLine(e.match.origin), ''].join('\n');
  }
  const r: GateResult = e.result;
  const lines = [
    head,
    `stage ${r.stage}: ${r.state}${r.nextChangeAt ? ` (may change at ${r.nextChangeAt})` : ''}`,
    originLine(e.match.origin),
    '',
    'rules:',
    ...r.rules.flatMap((x) => ruleLines(x, 1)),
  ];
  if (r.approvals.length) lines.push('', 'approvals:', ...r.approvals.map(approvalLine));
  if (r.risk)
    lines.push(
      '',
      `risk tiers: ${r.risk.touched.length ? r.risk.touched.map((t) => `${t.name} (${t.level}, ${t.files.length} file${t.files.length === 1 ? '' : 's'})`).join(', ') : 'none touched'}${r.risk.lowOnly ? '; only low-risk paths' : ''}`,
    );
  lines.push('', `evaluated at ${r.evaluatedAt} from GitHub's current state; nothing was posted.`, '');
  return lines.join('\n');
}

/** The evaluation as JSON (what `--format json` prints). */
export function explainJson(e: PullEvaluation, repository: string): Record<string, unknown> {
  const pr = { number: e.pr.number, title: e.pr.title, url: e.pr.htmlUrl, head: e.pr.headRef, base: e.pr.baseRef, headSha: e.pr.headSha, baseSha: e.pr.baseSha };
  if (e.kind === 'closed') return { repository, pullRequest: pr, kind: 'closed' };
  if (e.kind === 'not-promotion') return { repository, pullRequest: pr, kind: 'not-promotion', why: e.match.why };
  if (e.kind === 'invalid-config') return { repository, pullRequest: pr, kind: 'invalid-config', state: 'blocked', errors: e.match.errors, origin: e.match.origin };
  const r = e.result;
  return {
    repository,
    pullRequest: pr,
    kind: 'evaluated',
    stage: r.stage,
    state: r.state,
    nextChangeAt: r.nextChangeAt ?? null,
    origin: e.match.origin,
    rules: r.rules,
    approvals: r.approvals,
    risk: r.risk,
    evaluatedAt: r.evaluatedAt,
  };
}

/**
 * `stagegate explain --repo owner/name --pr N`: evaluates a live pull request's gate with the same
 * code the app runs (src/promotion/evaluate.ts) and prints its rule tree. Read-only: nothing is
 * posted to GitHub or recorded. Exit 0 when the gate passes, 1 when it is pending or blocked (or
 * the PR is no promotion), 2 on usage errors.
 */
export async function runExplain(req: ExplainRequest, io: CliIo): Promise<number> {
  if (!REPO_PATTERN.test(req.repo)) throw new UsageError(`--repo: expected owner/name, got ${JSON.stringify(req.repo)}`);
  if (!/^[1-9]\d*$/.test(req.pr)) throw new UsageError(`--pr: expected a pull request number, got ${JSON.stringify(req.pr)}`);
  const client = await githubClient(io, req.apiUrl, 'explain');
  const [owner, repo] = req.repo.split('/') as [string, string];
  const slug = req.app ?? 'stagegate';
  let app: { id: number; slug: string };
  try {
    const found = (await client.request('GET /apps/{app_slug}', { app_slug: slug })).data;
    if (!found) throw new UsageError(`--app: GitHub knows no app ${JSON.stringify(slug)}`);
    app = { id: found.id, slug: found.slug ?? slug };
  } catch (error) {
    if (statusOf(error) === 404) throw new UsageError(`--app: GitHub knows no app ${JSON.stringify(slug)} (give the slug of your Stagegate app)`);
    throw error;
  }
  // Protection-rule approvals are the app's own records: read them when its audit store is reachable.
  let store: AuditDatabase | null = null;
  try {
    store = await openAuditStore({ ...(req.databaseUrl ? { databaseUrl: req.databaseUrl } : {}), ...(req.dataDir ? { dataDir: req.dataDir } : {}), mustExist: true, env: io.env, cwd: io.cwd });
  } catch (error) {
    if (req.databaseUrl || req.dataDir) throw new UsageError((error as Error).message);
  }
  try {
    const repoData = (await client.request('GET /repos/{owner}/{repo}', { owner, repo })).data;
    const approvedRunOf = async (deploymentId: number): Promise<number | null> => {
      const r = store ? await store.findByKey(protectionApprovalKey(req.repo, deploymentId)) : null;
      return typeof r?.details.runId === 'number' ? r.details.runId : null;
    };
    const evaluation = await evaluatePullRequest({ client, owner, repo, pullNumber: Number(req.pr), defaultBranch: repoData.default_branch, now: new Date(), app, approvedRunOf });
    const note = store ? '' : 'note: no audit store was found, so deployments made in protection-rule mode count as unverified here (give --data-dir or --database-url)\n';
    await write(
      io.stdout,
      req.format === 'json' ? `${JSON.stringify({ ...explainJson(evaluation, req.repo), app, auditStore: store !== null }, null, 2)}\n` : explainText(evaluation, req.repo) + note,
    );
    return evaluation.kind === 'evaluated' && evaluation.result.state === 'passed' ? EXIT.ok : EXIT.failure;
  } finally {
    await store?.close();
  }
}
