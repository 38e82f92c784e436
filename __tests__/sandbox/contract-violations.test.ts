import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { webhookContract } from '../../sandbox/webhook-contract.js';
import { client, seedShop } from './support.js';

let sb: GitHubSandbox;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
});

afterAll(async () => {
  await sb?.stop();
});

describe('requests GitHub would reject are caught as contract violations', () => {
  it('answers an unknown route 404 as GitHub does and records it', async () => {
    const before = sb.violations.length;
    const res = await fetch(`${sb.apiUrl}/repos/acme/shop/deployment-gates`, { headers: { authorization: `token ${sb.tokenFor('alice')}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'Not Found', documentation_url: expect.any(String) });
    const v = sb.violations.slice(before);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ kind: 'request', status: 404, path: '/repos/acme/shop/deployment-gates' });
  });

  it('answers an invalid body 422 "Validation Failed" and records it', async () => {
    const gh = client(sb, sb.tokenFor('alice'));
    const before = sb.violations.length;
    let err: unknown;
    try {
      await gh.request('POST /repos/{owner}/{repo}/statuses/{sha}', { owner: 'acme', repo: 'shop', sha: 'a'.repeat(40), state: 'great' as 'success', context: 'build' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 422, response: { data: { message: 'Validation Failed' } } });
    const v = sb.violations.slice(before);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ kind: 'request', status: 422, operationId: 'repos/create-commit-status' });
    expect(v[0]?.errors.join('\n')).toContain('state');
  });

  it('records a missing required field and a wrong method', async () => {
    const gh = client(sb, sb.tokenFor('alice'));
    const before = sb.violations.length;
    await expect(gh.request('POST /repos/{owner}/{repo}/pulls', { owner: 'acme', repo: 'shop', title: 'no head nor base' } as never)).rejects.toMatchObject({ status: 422 });
    await expect(gh.request('DELETE /repos/{owner}/{repo}/pulls/{pull_number}/merge', { owner: 'acme', repo: 'shop', pull_number: 1 })).rejects.toMatchObject({ status: 404 });
    expect(sb.violations.slice(before).map((v) => v.status)).toEqual([422, 404]);
  });

  it('does not count GitHub’s own refusals (a valid request answered 404/422 by state) as violations', async () => {
    const gh = client(sb, sb.tokenFor('alice'));
    const before = sb.violations.length;
    await expect(gh.repos.getContent({ owner: 'acme', repo: 'shop', path: 'missing.txt', ref: 'master' })).rejects.toMatchObject({ status: 404 });
    await expect(gh.pulls.get({ owner: 'acme', repo: 'shop', pull_number: 99 })).rejects.toMatchObject({ status: 404 });
    expect(sb.violations.slice(before)).toEqual([]);
  });

  it('the webhook contract rejects a payload GitHub would never send', () => {
    expect(webhookContract().check('pull_request', { action: 'opened', number: 'one' })).not.toEqual([]);
    expect(webhookContract().check('deployment_status', { action: 'created' }).join('\n')).toContain('deployment_status');
  });
});
