import { Octokit } from '@octokit/rest';
import { startApp, startStack, type AppProcess } from '../sandbox/stack.js';
import type { GitHubSandbox } from '../sandbox/github-sandbox.js';
import { summarize, type LedgerEntry } from '../sandbox/http/ledger.js';
import type { GitHubRequester } from '../src/github/client.js';
import { FactCache } from '../src/github/fact-cache.js';
import { createGitHubFacts } from '../src/github/facts.js';

// Requests the real app server makes to GitHub (the sandbox's request ledger), per step of a promotion's
// life, for an unchanged redelivery, for checks no stage requires, and for a 5,000-commit / 10,000-file
// range — next to the acceptance figures of issue #10 and the figures measured when it was filed.

const POLICY = `stages:
  - name: production
    branch: production
    from: staging
    signoff:
      approvals: 2
    checks: [build, test, lint]
risk:
  - paths: ["src/payments/**"]
    signoff: { approvals: 2 }
`;

interface Row {
  work: string;
  entries: LedgerEntry[];
  seconds?: number;
  target: string;
  before: string;
}

const fromApp = (e: LedgerEntry): boolean => !e.actor.startsWith('user:');
const evaluations = (entries: LedgerEntry[]): number => entries.filter((e) => e.method === 'GET' && e.route === '/repos/{owner}/{repo}/pulls/{pull_number}').length;

async function step(sb: GitHubSandbox, work: string, target: string, before: string, act: () => Promise<unknown>, done?: () => boolean): Promise<Row> {
  await sb.settled(120_000, 400);
  const mark = sb.ledger.mark();
  const t = performance.now();
  await act();
  let seconds: number | null = null;
  if (done) {
    await sb.waitFor(() => (done() ? true : null), 300_000, work);
    seconds = (performance.now() - t) / 1000;
  }
  await sb.settled(300_000, 400);
  // Without a completion probe: until the sandbox went quiet (the 400 ms of quiet not counted).
  seconds ??= (performance.now() - t - 400) / 1000;
  return { work, entries: sb.ledger.since(mark, fromApp), seconds, target, before };
}

function table(rows: Row[]): string {
  const head = ['work', 'requests', 'of which 304 (free)', 'writes', 'PR reads (≈ evaluations)', 'time', 'acceptance', 'at #10 filing'];
  const lines = rows.map((r) => {
    const s = summarize(r.entries);
    return [r.work, String(s.requests), String(s.notModified), String(s.writes), String(evaluations(r.entries)), r.seconds === undefined ? '' : `${r.seconds.toFixed(1)} s`, r.target, r.before];
  });
  const fmt = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [fmt(head), fmt(head.map(() => '---')), ...lines.map(fmt)].join('\n');
}

async function seed(sb: GitHubSandbox, repo: string): Promise<void> {
  await sb.createRepo({
    owner: 'acme',
    name: repo,
    defaultBranch: 'master',
    branches: ['staging', 'production'],
    files: { 'README.md': '# shop\n', '.github/stagegate.yml': POLICY },
    author: 'alice',
  });
  for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator(`acme/${repo}`, u, 'write');
}

async function lifecycle(sb: GitHubSandbox, restart: () => Promise<void>): Promise<Row[]> {
  await seed(sb, 'shop');
  await sb.push('acme/shop', { branch: 'staging', files: { 'src/app.ts': 'export const v = 2;\n' }, message: 'Ship v2', author: 'alice' });
  const rows: Row[] = [];
  let pr = 0;
  rows.push(
    await step(sb, 'open the promotion PR', '', '', async () => {
      pr = (await sb.openPullRequest({ repo: 'acme/shop', head: 'staging', base: 'production', title: 'Promote staging to production', user: 'alice' })).number;
    }),
  );
  const head = sb.pull('acme/shop', pr).headSha;
  for (const name of ['build', 'test', 'lint']) {
    rows.push(await step(sb, `CI check \`${name}\` completes`, 'one evaluation', 'two evaluations, 21 requests', () => sb.addCheckRun('acme/shop', { headSha: head, name, conclusion: 'success' })));
  }
  for (const user of ['bob', 'carol']) {
    rows.push(await step(sb, `@${user} approves`, '', '', () => sb.review({ repo: 'acme/shop', pr, user, event: 'APPROVE' })));
  }
  const all = rows.flatMap((r) => r.entries);
  const gate = sb
    .checkRunsFor('acme/shop', head)
    .filter((c) => c.name === 'stagegate')
    .at(-1);
  const total: Row = { work: `**lifecycle total** (gate ${gate?.conclusion ?? gate?.status ?? 'missing'})`, entries: all, target: '≤ 35 requests', before: '100 requests, 16 writes' };
  const last = [...sb.deliveries].reverse().find((d) => d.event === 'pull_request_review');
  const redelivery = await step(sb, 'redelivery of the last review (nothing changed)', '0 writes, ≤ 7 conditional reads', '12 requests, 1 write', async () => {
    if (last) sb.redeliver(last.id);
  });
  const warm = await step(sb, 'check no stage requires (`coverage`), warm', '0 requests', '12 requests', () => sb.addCheckRun('acme/shop', { headSha: head, name: 'coverage', conclusion: 'success' }));
  await restart();
  const cold = await step(sb, 'check no stage requires (`docs`), freshly started app', '0 requests', '26 requests', () =>
    sb.addCheckRun('acme/shop', { headSha: head, name: 'docs', conclusion: 'success' }),
  );
  return [...rows, total, redelivery, warm, cold];
}

async function hugeRange(sb: GitHubSandbox): Promise<{ row: Row; exact: string; facts: string }> {
  await seed(sb, 'big');
  const t0 = performance.now();
  const shas = await sb.pushMany('acme/big', 'staging', 5000, 'alice', { filesPerCommit: 2 });
  const built = (performance.now() - t0) / 1000;
  let pr = 0;
  const tip = shas[shas.length - 1]!;
  const commented = (): boolean => pr > 0 && sb.checkRunsFor('acme/big', tip).some((c) => c.name === 'stagegate') && [...sb.repo('acme/big').comments.values()].some((c) => c.issueNumber === pr);
  const row = await step(
    sb,
    `5,000 commits / 10,000 files promotion, open → check and comment posted (repository built in ${built.toFixed(1)} s)`,
    '≤ 80 requests, < 10 s',
    '5,092 requests, 351 s',
    async () => {
      pr = (await sb.openPullRequest({ repo: 'acme/big', head: 'staging', base: 'production', title: 'Promote a big range', user: 'alice' })).number;
    },
    commented,
  );
  // The same facts read in this process, checked against git itself.
  const r = sb.repo('acme/big');
  const base = sb.pull('acme/big', pr);
  const mb = await r.git.mergeBase((await r.git.branchSha('production'))!, shas[shas.length - 1]!);
  const truth = new Set((await r.git.diff(mb, shas[shas.length - 1]!)).map((f) => f.filename));
  const inst = [...sb.installations.values()].find((i) => i.account.login === 'acme')!;
  const token = sb.issueInstallationToken(inst.id).token;
  const octokit = new Octokit({ baseUrl: sb.apiUrl, auth: token, request: { retries: 0 } });
  const client: GitHubRequester = { request: (route, params) => octokit.request(route, params as never) };
  const mark = sb.ledger.mark();
  const t = performance.now();
  const facts = createGitHubFacts({ client, owner: 'acme', repo: 'big', pullNumber: base.number, cache: new FactCache() });
  const [commits, files] = await Promise.all([facts.commits(), facts.files()]);
  const ms = performance.now() - t;
  const names = new Set(files.items.map((f) => f.filename));
  const exact =
    files.complete && names.size === truth.size && [...truth].every((f) => names.has(f))
      ? `exact: ${names.size.toLocaleString('en-US')} files, as \`git diff\` lists them`
      : `NOT exact: ${names.size} files listed, git lists ${truth.size}`;
  const readOnly = sb.ledger.since(mark);
  return {
    row,
    exact,
    facts: `${commits.complete ? commits.items.length.toLocaleString('en-US') : 'incomplete'} commits and the changed files read cold in ${(ms / 1000).toFixed(1)} s with ${readOnly.length} requests (${summarize(
      readOnly,
    )
      .byRoute.map((b) => `${b.requests}× ${b.route.replace('GET /repos/{owner}/{repo}/', '')}`)
      .join(', ')})`,
  };
}

async function main(): Promise<void> {
  const stack = await startStack({ logLevel: 'warn' });
  const sb = stack.sb;
  let app: AppProcess = stack.app;
  try {
    sb.createUser({ login: 'alice', name: 'Alice Dev', email: 'alice@acme.test' });
    sb.createUser({ login: 'bob', name: 'Bob Manager', email: 'bob@acme.test' });
    sb.createUser({ login: 'carol', name: 'Carol Manager', email: 'carol@acme.test' });
    sb.createOrg({ login: 'acme' });
    const rows = await lifecycle(sb, async () => {
      await app.stop();
      app = await startApp(sb, { logLevel: 'warn' });
      sb.webhookUrl = app.webhookUrl;
    });
    const big = await hugeRange(sb);
    console.log('request economy (issue #10): requests the app server made to the sandbox, per step (sandbox request ledger)');
    console.log('');
    console.log(table([...rows, big.row]));
    console.log('');
    console.log(`  5,000/10,000 range, facts layer alone: ${big.facts}; ${big.exact}.`);
    if (process.env.BENCH_VERBOSE) {
      for (const r of [...rows, big.row])
        console.log(
          `  ${r.work}: ${summarize(r.entries)
            .byRoute.map((b) => `${b.requests}× ${b.route}${b.notModified ? ` (${b.notModified}× 304)` : ''}`)
            .join(', ')}`,
        );
    }
    console.log('  "PR reads": each gate evaluation reads the pull request once (on pull_request events the config check reads it too).');
    console.log('  A 304 costs no rate limit. Facts an event cannot change are reused for 10 s: steps further apart revalidate them with 304s.');
    if (sb.violations.length) console.log(`  contract violations: ${sb.violations.length} (first: ${JSON.stringify(sb.violations[0])})`);
  } finally {
    await sb.stop();
    await app.stop();
  }
}

await main();
