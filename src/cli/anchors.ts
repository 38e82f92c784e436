import { asAnchor, parseAnchorText } from '../audit/anchor.js';
import type { FoundAnchor } from '../audit/anchor-verify.js';
import type { AuditDatabase } from '../audit/types.js';
import { paginate, type GitHubRequester } from '../github/client.js';

/** Limits of the look-up on GitHub (requests are one per commit for check runs). */
export interface AnchorLookup {
  /** The Stagegate app's slug: only objects it created count (anyone can post a deployment). */
  appSlug: string;
  /** Pages of 100 pull requests (newest first) whose heads are looked at, besides the store's. */
  pullPages?: number;
  /** Pages of 100 deployments. */
  deploymentPages?: number;
}

function payloadObject(p: unknown): Record<string, unknown> | null {
  let v = p;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return null;
    }
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Head commits the store knows promotions for (gate results, deployments), page by page. */
async function storedHeads(store: AuditDatabase, repository: string): Promise<Set<string>> {
  const heads = new Set<string>();
  let afterSeq = 0;
  for (;;) {
    const page = await store.scan(repository, { afterSeq, limit: 1000, kinds: ['gate.result', 'deployment.created'] });
    for (const r of page) if (r.headSha) heads.add(r.headSha);
    const last = page[page.length - 1];
    if (!last || page.length < 1000) return heads;
    afterSeq = last.seq;
  }
}

/**
 * Reads the anchors of `repository` published on GitHub by the app `appSlug`: the `audit_anchor` of
 * every deployment it created, and the anchor in the output of its `stagegate` check runs on every
 * promotion head — the heads the store knows, the heads of the deployments, and the heads of the
 * newest pull requests (so heads the store no longer knows are looked at too).
 */
export async function collectAnchors(client: GitHubRequester, store: AuditDatabase, repository: string, opts: AnchorLookup): Promise<{ anchors: FoundAnchor[]; commits: number }> {
  const [owner, repo] = repository.split('/') as [string, string];
  const ours = (slug: string | null | undefined): boolean => slug === opts.appSlug;
  const anchors: FoundAnchor[] = [];
  const heads = await storedHeads(store, repository);

  const deployments = await paginate(client, 'GET /repos/{owner}/{repo}/deployments', { owner, repo }, (d) => d, { maxPages: opts.deploymentPages ?? 50 });
  for (const d of deployments.items) {
    if (!ours(d.performed_via_github_app?.slug) && d.creator?.login !== `${opts.appSlug}[bot]`) continue;
    const payload = payloadObject(d.payload);
    const anchor = asAnchor(payload?.['audit_anchor'], repository);
    if (anchor) anchors.push({ ...anchor, repository, source: `deployment ${d.id}` });
    if (typeof payload?.['head'] === 'string') heads.add(payload['head']);
  }

  const pulls = await paginate(client, 'GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'all', sort: 'updated', direction: 'desc' }, (d) => d, { maxPages: opts.pullPages ?? 10 });
  for (const p of pulls.items) heads.add(p.head.sha);

  for (const sha of heads) {
    const runs = await paginate(client, 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { owner, repo, ref: sha, check_name: 'stagegate', filter: 'all' }, (d) => d.check_runs, { maxPages: 10 });
    for (const run of runs.items) {
      if (!ours(run.app?.slug)) continue;
      for (const a of [...parseAnchorText(run.output?.summary), ...parseAnchorText(run.output?.text)]) {
        if (a.repository === repository) anchors.push({ ...a, source: run.html_url ? `check run ${run.html_url}` : `check run ${run.id}` });
      }
    }
  }
  return { anchors, commits: heads.size };
}
