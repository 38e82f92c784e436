import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { callbackUrl, webConfigFromEnv } from '../../app/web/config.js';

// app.yml registers the callback the page's sign-in sends GitHub as `redirect_uri`: GitHub refuses any other
// (redirect_uri_mismatch), so the manifest and the server's default must agree.

describe('app.yml and the health page’s sign-in', () => {
  it('registers the callback the server uses by default (npm start, PORT 3000) and asks no user authorization on install', async () => {
    const manifest = parse(await readFile(new URL('../../app.yml', import.meta.url), 'utf8')) as { callback_urls?: unknown; request_oauth_on_install?: unknown };
    const config = webConfigFromEnv({ GITHUB_CLIENT_ID: 'Iv1.x', GITHUB_CLIENT_SECRET: 'y', STAGEGATE_SESSION_SECRET: 'z'.repeat(32) });
    if (!config) throw new Error('the page is off with a client id and secret set');
    expect(manifest.callback_urls).toEqual([callbackUrl(config)]);
    expect(manifest.request_oauth_on_install).toBe(false);
  });
});
