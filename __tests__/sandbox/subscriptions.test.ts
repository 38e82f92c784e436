import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { appJwt, client, seedShop, startReceiver } from './support.js';

let dir: string;
let sb: GitHubSandbox | null = null;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sbx-manifest-'));
});

afterEach(async () => {
  expect(sb?.violations.splice(0) ?? []).toEqual([]);
  await sb?.stop();
  sb = null;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('webhooks only of the events the app subscribes to', () => {
  it('subscribes to the default_events of the project’s app.yml by default', async () => {
    const manifest = parse(await readFile(new URL('../../app.yml', import.meta.url), 'utf8')) as { default_events: string[] };
    sb = await GitHubSandbox.start();
    expect(sb.app.events).toEqual(manifest.default_events);
  });

  it('delivers a subscribed event, records an unsubscribed one as not delivered, and reports the subscription in GET /app', async () => {
    const file = join(dir, 'app.yml');
    await writeFile(file, 'name: Test\ndefault_events:\n  - pull_request\n');
    const receiver = await startReceiver(() => sb?.app.webhookSecret ?? '');
    try {
      sb = await GitHubSandbox.start({ appManifest: file, webhookUrl: receiver.url });
      await seedShop(sb);
      await sb.push('acme/shop', { branch: 'master', files: { 'a.txt': 'a\n' }, message: 'a', author: 'alice' });
      const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
      await sb.comment('acme/shop', pr.number, 'bob', '/stagegate status');
      await sb.settled();
      expect(receiver.received.map((r) => r.headers['x-github-event'])).toEqual(['pull_request']);
      expect(sb.deliveries.map((d) => d.event)).toEqual(['pull_request']);
      expect(sb.unsubscribed).toEqual([
        { event: 'push', action: null, repository: 'acme/shop' },
        { event: 'issue_comment', action: 'created', repository: 'acme/shop' },
      ]);
      const app = await client(sb, appJwt(sb.app.id, sb.app.privateKey)).apps.getAuthenticated();
      expect(app.data?.events).toEqual(['pull_request']);
    } finally {
      await receiver.close();
    }
  });

  it('takes SandboxOptions.events over the manifest', async () => {
    sb = await GitHubSandbox.start({ appManifest: join(dir, 'missing.yml'), events: ['issue_comment'] });
    await seedShop(sb);
    await sb.push('acme/shop', { branch: 'master', files: { 'b.txt': 'b\n' }, message: 'b', author: 'alice' });
    const pr = await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
    await sb.comment('acme/shop', pr.number, 'bob', 'hello');
    expect(sb.deliveries.map((d) => `${d.event}.${d.action ?? ''}`)).toEqual(['issue_comment.created']);
    expect(sb.unsubscribed.map((u) => u.event)).toEqual(['push', 'pull_request']);
  });

  it('refuses to start on a manifest whose default_events is not a list, naming the file, line and key', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'name: Test\ndefault_events: pull_request\n');
    await expect(GitHubSandbox.start({ appManifest: file })).rejects.toThrow(`${file}:2: default_events must be a list of event names`);
    await writeFile(file, 'name: Test\n');
    await expect(GitHubSandbox.start({ appManifest: file })).rejects.toThrow(`${file}: default_events is missing`);
    await expect(GitHubSandbox.start({ appManifest: join(dir, 'absent.yml') })).rejects.toThrow(/absent\.yml: cannot read the app manifest/);
  });
});
