/** The scripting API in a few lines (docs/sandbox.md shows this file; `__tests__/sandbox/docs-example.test.ts` runs it). */
// example:start
import { GitHubSandbox } from '../index.js';

/** A repository, a promotion PR, an approval of its head, CI, a merge — then the same world read over HTTP. */
export async function quickstart(): Promise<{ mergeSha: string; merged: boolean; events: string[] }> {
  const sb = await GitHubSandbox.start(); // no webhookUrl: deliveries are recorded in sb.deliveries, not sent
  try {
    sb.createUser({ login: 'alice', email: 'alice@acme.test' });
    sb.createUser({ login: 'bob', email: 'bob@acme.test' });
    sb.createOrg({ login: 'acme' });
    await sb.createRepo({ owner: 'acme', name: 'shop', defaultBranch: 'master', branches: ['staging'] });
    for (const login of ['alice', 'bob']) sb.addCollaborator('acme/shop', login, 'write');

    const head = await sb.push('acme/shop', { branch: 'master', files: { 'src/cart.ts': 'export const total = 0;\n' }, message: 'feat: cart', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote master to staging', user: 'alice' });
    await sb.review({ repo: 'acme/shop', pr: pr.number, user: 'bob', event: 'APPROVE', commitId: head });
    await sb.addCheckRun('acme/shop', { headSha: head, name: 'build', conclusion: 'success' }); // as a CI app
    const mergeSha = await sb.merge('acme/shop', pr.number, 'bob');
    await sb.settled();

    // What an app or a workflow sees: the REST API at sb.apiUrl (GitHub Enterprise style, `/api/v3`).
    const res = await fetch(`${sb.apiUrl}/repos/acme/shop/pulls/${pr.number}`, { headers: { authorization: `token ${sb.tokenFor('bob')}` } });
    const { merged } = (await res.json()) as { merged: boolean };

    if (sb.violations.length) throw new Error(`outside GitHub's contract: ${JSON.stringify(sb.violations)}`);
    return { mergeSha, merged, events: sb.deliveries.map((d) => `${d.event}.${d.action ?? ''}`) };
  } finally {
    await sb.stop();
  }
}
// example:end
