import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditStore } from '../../src/audit/open.js';
import type { AuditDatabase } from '../../src/audit/types.js';
import { deliveryHealth, type HealthReport } from '../../src/health/compute.js';
import { METRICS } from '../../src/health/definitions.js';
import { chartValues } from '../../src/health/page/charts.js';
import { renderIndexPage, renderNotFoundPage } from '../../src/health/page/other-pages.js';
import { renderRepoPage } from '../../src/health/page/repo-page.js';
import type { RepoView } from '../../src/health/page/view.js';
import { History } from './history.js';

// The page's rendering is pure: a view in, HTML out (the charts are Vega-Lite SVG). Snapshots pin the
// whole page; the assertions say what must be on it whatever the markup.

const NOW = new Date('2026-11-30T12:00:00Z');
const P = 'production';
const S = 'staging';
const sha = (s: string) => s.padEnd(40, '0');

let dir = '';
let store: AuditDatabase;
let report: HealthReport;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagegate-page-'));
  store = await openAuditStore({ dataDir: dir, env: {} });
  const h = new History()
    .deploy({ id: 1, stage: S, at: '2026-11-20T09:00:00Z', pr: 1, commits: [{ sha: 'c1', authoredAt: '2026-11-19T09:00:00Z' }], approvers: ['bob'], mergedBy: 'bob' })
    .verify(1, S, 'success', '2026-11-20T10:00:00Z')
    .deploy({ id: 2, stage: P, at: '2026-11-21T09:00:00Z', pr: 2, commits: [{ sha: 'c1', authoredAt: '2026-11-19T09:00:00Z' }], approvers: ['carol'], mergedBy: 'carol' })
    .verify(2, P, 'success', '2026-11-21T10:00:00Z')
    .deploy({ id: 3, stage: P, at: '2026-11-28T09:00:00Z', pr: 3, commits: [{ sha: 'c2', authoredAt: '2026-11-27T09:00:00Z' }], approvers: ['carol'], mergedBy: 'carol' })
    .verify(3, P, 'rolled_back', '2026-11-28T09:30:00Z')
    .rollback(3, P, '2026-11-28T09:35:00Z', sha('m2'));
  await store.appendMany(h.events);
  report = await deliveryHealth(store, { repository: 'acme/shop', stages: [S, P], now: NOW });
}, 60_000);

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function view(over: Partial<RepoView> = {}): RepoView {
  return {
    repository: 'acme/shop',
    htmlUrl: 'https://github.example/acme/shop',
    viewer: { login: 'alice', csrf: 'token-1' },
    policy: {
      ok: true,
      value: [
        { name: S, branch: 'staging', from: 'master' },
        { name: P, branch: 'production', from: 'staging' },
      ],
    },
    health: { ok: true, value: report },
    promotions: {
      ok: true,
      value: [
        {
          stage: P,
          number: 9,
          title: 'Promote <staging> & more',
          url: 'https://github.example/acme/shop/pull/9',
          author: 'bob',
          headSha: sha('h9'),
          gate: { ok: true, value: { state: 'pending', title: 'Waiting for 1 approval', url: null } },
        },
      ],
    },
    locks: {
      ok: true,
      value: [{ id: 'l1', repository: 'acme/shop', stage: P, holder: 'dave', reason: 'incident 42', lockedAt: '2026-11-30T11:00:00Z', expiresAt: null, pullRequest: null, commentUrl: null }],
    },
    pending: {
      ok: true,
      value: [
        {
          stage: S,
          base: 'staging',
          head: 'master',
          total: 3,
          commits: [{ sha: sha('p1'), message: 'feat: discounts', author: 'alice', url: '' }],
          compareUrl: 'https://github.example/acme/shop/compare/staging...master',
        },
        { stage: P, base: 'production', head: 'staging', total: 0, commits: [], compareUrl: 'https://github.example/acme/shop/compare/production...staging' },
      ],
    },
    ...over,
  };
}

describe('the repository page', () => {
  it('says what runs where: production rolled back to the verified release, with who merged and who signed off', async () => {
    const html = await renderRepoPage(view());
    const row = /<tr><th scope="row">production<\/th>.*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(row).toContain('<code>m200000</code>');
    expect(row).toContain('rolled back');
    expect(row).toContain('href="https://github.example/acme/shop/pull/2"');
    expect(row).toContain('carol');
    const staging = /<tr><th scope="row">staging<\/th>.*?<\/tr>/.exec(html)?.[0] ?? '';
    expect(staging).toContain('<code>m100000</code>');
    expect(staging).toContain('verified');
  });

  it('shows open promotions with their gate, locks, pending commits, the metrics table and eight charts, and the definitions', async () => {
    const html = await renderRepoPage(view());
    expect(html).toContain('Promote &lt;staging&gt; &amp; more');
    expect(html).not.toContain('Promote <staging>');
    expect(html).toContain('<span class="state wait">pending</span> Waiting for 1 approval');
    expect(html).toContain('dave</td><td>incident 42');
    expect(html).toContain('staging: 3 commits in master not yet in staging');
    expect(html).toContain('and 2 more on GitHub');
    expect(html).toContain('production: nothing pending');
    const prodMetrics = /<table class="metrics" data-stage="production">.*?<\/table>/.exec(html)?.[0] ?? '';
    expect(prodMetrics).toContain('<td>0 verified (0/week)</td><td>1 verified (0.2/week)</td><td>1 verified (0.1/week)</td>');
    expect(prodMetrics).toContain('50% (1 of 2)');
    expect(html.match(/<figure class="chart"/g)).toHaveLength(8);
    expect(html.match(/<svg[^>]*class="marks"/g)).toHaveLength(8);
    for (const m of METRICS) expect(html).toContain(m.definition.replace(/’/g, '’').slice(0, 60));
    expect(html).toContain('name="csrf" value="token-1"');
  });

  it('says what could not be read and shows nothing guessed in its place', async () => {
    const html = await renderRepoPage(view({ promotions: { ok: false, error: 'GitHub answered 502' }, health: { ok: false, error: 'database is locked' } }));
    expect(html).toContain('The open promotion pull requests could not be read: GitHub answered 502');
    expect(html).toContain('The audit trail could not be read: database is locked');
    expect(html).not.toContain('verified</span>');
    expect(html).not.toContain('<figure');
  });

  it('plots a value per bucket: deployments per week, a change failure rate only where a verdict was reached', () => {
    const prod = report.stages.find((s) => s.stage === P)!;
    const deploys = chartValues('deployments', prod.series);
    expect(deploys.reduce((a, v) => a + (v.value ?? 0), 0)).toBe(1);
    const cfr = chartValues('failure-rate', prod.series).filter((v) => v.value !== null);
    expect(cfr.map((v) => v.value)).toEqual([0, 100]);
  });

  it('renders the same page for the same view (snapshot)', async () => {
    expect(await renderRepoPage(view())).toMatchSnapshot();
  });
});

describe('the index and the not-found page', () => {
  it('lists the readable repositories, linked; the not-found page names nothing', () => {
    const html = renderIndexPage({ viewer: { login: 'alice', csrf: 'x' }, repositories: [{ fullName: 'acme/shop', permission: 'write' }] });
    expect(html).toContain('<a href="/stagegate/acme/shop">acme/shop</a>');
    expect(html).toMatchSnapshot();
    expect(renderNotFoundPage({ login: 'alice', csrf: 'x' })).not.toContain('acme');
  });
});
