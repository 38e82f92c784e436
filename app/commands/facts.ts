import { breakGlassesOf, breakGlassFor, breakGlassOfIssue } from '../../src/break-glass/store.js';
import { followUpState } from '../../src/break-glass/apply.js';
import type { CommandFacts, CommentTarget, MergeApproval, StageDeployment, StageOverview } from '../../src/commands/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config, StageConfig } from '../../src/config/schema.js';
import { verdictOf } from '../../src/deploy/previous.js';
import { isNotFound, type GitHubRequester } from '../../src/github/client.js';
import { githubConfigSource } from '../../src/github/config-source.js';
import { createGitHubFacts } from '../../src/github/facts.js';
import { stateHolds } from '../../src/locks/holds.js';
import { activeLock } from '../../src/locks/store.js';
import { evaluatePullRequest } from '../../src/promotion/evaluate.js';
import { matchPromotion } from '../../src/promotion/match.js';
import { deploymentOrigin, type TrustPolicy } from '../../src/protocol/evidence.js';
import { mergeApprovalKey } from '../audit-records.js';
import type { AppDeps } from '../deps.js';
import { dutyFor } from '../duty.js';
import { approvedRunLookup } from '../gate-runner.js';
import { deploymentReads } from '../release.js';

/** Where a command's comment is. */
export interface CommandPlace {
  client: GitHubRequester;
  owner: string;
  repo: string;
  defaultBranch: string;
  issueNumber: number;
  /** GitHub's own word (the issue's `pull_request` field): the comment is on a pull request. */
  isPull: boolean;
}

/** How many of a stage's newest deployments a command judges (each costs a few requests). */
const DEPLOYMENTS_JUDGED = 15;

/**
 * {@link CommandFacts} read from GitHub and the app's own records, fresh at every call (no shared
 * cache: a role, a membership, a branch head is never an earlier answer). Reads are memoised within
 * one command only.
 */
export function commandFacts(deps: AppDeps, p: CommandPlace): CommandFacts {
  const { client, owner, repo } = p;
  const repository = `${owner}/${repo}`;
  // No events and no shared cache: every read is fresh.
  const gh = createGitHubFacts({ client, owner, repo, pullNumber: p.issueNumber });
  const reads = deploymentReads(client, owner, repo);
  let targetP: Promise<CommentTarget> | null = null;

  const defaultConfig = async (): Promise<Config | null> => {
    const loaded = await loadConfig({ source: githubConfigSource(client), owner, repo, baseRef: p.defaultBranch, defaultBranch: p.defaultBranch });
    return loaded.kind === 'ok' ? loaded.config : null;
  };

  const target = async (): Promise<CommentTarget> => {
    if (!p.isPull) {
      const issue = (await client.request('GET /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: p.issueNumber })).data;
      const followUp = await deps.chatops.read((db) => breakGlassOfIssue(db, repository, p.issueNumber));
      return { kind: 'issue', number: p.issueNumber, title: issue.title, state: issue.state === 'closed' ? 'closed' : 'open', followUp, config: await defaultConfig() };
    }
    const pr = await gh.pullRequest();
    const match = await matchPromotion({ client, owner, repo, pr, defaultBranch: p.defaultBranch });
    if (match.kind === 'invalid-config') return { kind: 'invalid-config', pr, errors: match.errors };
    if (match.kind === 'none') return { kind: 'pull', pr, why: match.why, config: await defaultConfig().catch(() => null) };
    return { kind: 'promotion', pr, config: match.config, stage: match.stage };
  };

  const trust = async (stage: StageConfig, config: Config): Promise<TrustPolicy> => {
    const self = await deps.self();
    return { app: { id: self.id, slug: self.slug }, repository, workflow: config.deploy.workflow, ref: config.deploy.ref ?? stage.branch };
  };

  const stageOf = async (name: string): Promise<{ stage: StageConfig; config: Config }> => {
    const t = await (targetP ??= target());
    const config = t.kind === 'invalid-config' ? null : t.config;
    const stage = config?.stages.find((s) => s.name === name);
    if (!config || !stage) throw new Error(`no stage ${name} in the policy`);
    return { stage, config };
  };

  const deployments = async (name: string, config?: Config): Promise<{ items: StageDeployment[]; complete: boolean }> => {
    const { stage, config: cfg } = config ? { stage: config.stages.find((s) => s.name === name)!, config } : await stageOf(name);
    const policy = await trust(stage, cfg);
    const approved = approvedRunLookup(deps, repository);
    const list = (await reads.listDeployments(stage.name, 100)).filter((d) => d.environment === stage.name).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
    const items: StageDeployment[] = [];
    for (const d of list) {
      if (items.length >= DEPLOYMENTS_JUDGED) break;
      const run = await approved(d.id);
      const origin = deploymentOrigin(d, policy, (id) => (id === d.id ? run : null));
      if (origin.kind === 'foreign') continue;
      const verdict = await verdictOf(reads, d, policy, cfg.deploy.mode);
      const payload = origin.kind === 'app' ? origin.payload : null;
      items.push({
        id: d.id,
        sha: d.sha,
        createdAt: d.createdAt,
        payload,
        kind: origin.kind === 'rollback' ? 'rollback' : 'promotion',
        pullRequest: payload?.pull_request ?? null,
        verdict,
      });
    }
    return { items, complete: list.length < 100 };
  };

  const branchHead = async (branch: string): Promise<string> => {
    const res = await client.request('GET /repos/{owner}/{repo}/branches/{branch}', { owner, repo, branch });
    return res.data.commit.sha;
  };

  const overviewOf = async (config: Config, s: StageConfig, now: Date): Promise<StageOverview> => {
    const [lock, current, pending, open] = await Promise.all([
      deps.chatops.read((db) => activeLock(db, repository, s.name, now)),
      deployments(s.name, config).then((l) => l.items[0] ?? null),
      client
        .request('GET /repos/{owner}/{repo}/compare/{basehead}', { owner, repo, basehead: `${s.branch}...${s.from}`, per_page: 1 })
        .then((r) => r.data.ahead_by)
        .catch(() => null),
      client
        .request('GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'open', base: s.branch, head: `${owner}:${s.from}`, per_page: 1 })
        .then((r) => r.data[0]?.number ?? null)
        .catch(() => null),
    ]);
    const duty = dutyFor(config, s, now);
    return {
      stage: s.name,
      branch: s.branch,
      from: s.from,
      lock,
      current,
      pending: { commits: pending, pullRequest: open },
      ...(duty ? { duty: { team: duty.team, until: duty.label, next: duty.next } } : {}),
    };
  };

  return {
    role: (login) => gh.permission(login),
    async isMember(entries, login) {
      for (const e of entries) {
        if (!e.startsWith('@')) {
          if (e.toLowerCase() === login.toLowerCase()) return true;
          continue;
        }
        const [org, team] = e.slice(1).split('/');
        if (org && team && (await gh.teamMembership(org, team, login)) === 'active') return true;
      }
      return false;
    },
    target: () => (targetP ??= target()),
    async gate() {
      const self = await deps.self();
      const e = await evaluatePullRequest({
        client,
        owner,
        repo,
        pullNumber: p.issueNumber,
        defaultBranch: p.defaultBranch,
        now: deps.now(),
        app: { id: self.id, slug: self.slug },
        approvedRunOf: approvedRunLookup(deps, repository),
        holds: stateHolds(deps.chatops, repository, deps.now),
      });
      if (e.kind !== 'evaluated') throw new Error(`the gate of #${p.issueNumber} cannot be evaluated (${e.kind})`);
      return e.result;
    },
    lock: (stage) => deps.chatops.read((db) => activeLock(db, repository, stage, deps.now())),
    breakGlass: (stage, pr, head) => deps.chatops.read((db) => breakGlassFor(db, repository, stage, pr, head)),
    async mergeApproval(stage, mergeSha): Promise<MergeApproval | null> {
      const r = await deps.store.findByKey(mergeApprovalKey(repository, stage, mergeSha));
      if (!r || r.repository !== repository) return null;
      const d = r.details as Record<string, unknown>;
      return {
        stage,
        mergeSha,
        pullRequest: r.pullRequest ?? 0,
        baseSha: r.baseSha ?? '',
        headSha: r.headSha ?? '',
        mode: d.mode === 'protection_rule' ? 'protection_rule' : 'dispatch',
        stageConfig: d.stage as StageConfig,
        policy: d.policy as MergeApproval['policy'],
        approvers: (d.approvers as MergeApproval['approvers']) ?? [],
        at: r.at,
      };
    },
    deployments: (stage) => deployments(stage),
    async branchHead(branch) {
      try {
        return await branchHead(branch);
      } catch (err) {
        if (isNotFound(err)) throw new Error(`branch ${branch} does not exist`);
        throw err;
      }
    },
    overview: (config) => Promise.all(config.stages.map((s) => overviewOf(config, s, deps.now()))),
    async openFollowUps() {
      const all = await deps.chatops.read((db) => breakGlassesOf(db, repository));
      return all.filter((b) => followUpState(b, deps.now()) !== 'approved');
    },
  };
}
