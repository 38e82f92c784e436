import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type Stack } from '../../sandbox/stack.js';

// Sign-in to the delivery health page over HTTP, against the real app server (lib/app/server.js) and the
// sandbox's OAuth web flow: no page without a session, a state bound to the browser's cookie and used once,
// the sealed cookie's flags, and views limited to what the person can read, as GitHub answers their token.

let stack: Stack;
const policy = readFileSync(join(process.cwd(), '__tests__/fixtures/product-example.yml'), 'utf8');

beforeAll(async () => {
  stack = await startStack();
  const { sb } = stack;
  sb.createUser({ login: 'alice' });
  sb.createUser({ login: 'mallory' });
  sb.createOrg({ login: 'acme' });
  await sb.createRepo({
    owner: 'acme',
    name: 'shop',
    private: true,
    defaultBranch: 'master',
    branches: ['staging', 'production'],
    author: 'alice',
    files: { 'README.md': '# shop\n', '.github/stagegate.yml': policy },
  });
  sb.addCollaborator('acme/shop', 'alice', 'write');
  sb.installationFor(sb.account('acme'));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

/** A browser's cookie jar for one site, enough for these requests. */
class Browser {
  cookie = '';
  setCookies: string[] = [];
  async get(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...(init.headers as Record<string, string> | undefined) } });
    this.setCookies = res.headers.getSetCookie();
    for (const c of this.setCookies) {
      const [pair] = c.split(';');
      if (!pair) continue;
      this.cookie = /=$/.test(pair) || /Max-Age=0/i.test(c) ? '' : pair;
    }
    return res;
  }
}

const page = (path: string): string => `${stack.app.url}${path}`;

/** Signs `login` in through the sandbox's authorize page; returns the browser and the callback URL used. */
async function signIn(login: string, returnTo = '/stagegate/'): Promise<{ browser: Browser; callback: string }> {
  const browser = new Browser();
  const start = await browser.get(page(`/stagegate/auth/login?return=${encodeURIComponent(returnTo)}`));
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location') ?? '');
  const form = new URLSearchParams({
    client_id: authorize.searchParams.get('client_id') ?? '',
    redirect_uri: authorize.searchParams.get('redirect_uri') ?? '',
    state: authorize.searchParams.get('state') ?? '',
    login,
  });
  const approved = await fetch(`${stack.sb.url}/login/oauth/authorize`, { method: 'POST', body: form, redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(approved.status).toBe(302);
  const callback = approved.headers.get('location') ?? '';
  const done = await browser.get(callback);
  expect(done.status).toBe(302);
  expect(done.headers.get('location')).toBe(returnTo);
  return { browser, callback };
}

describe('the delivery health page: sign-in', () => {
  it('shows nothing without a session: every page redirects to sign-in, keeping where the person was going', async () => {
    for (const path of ['/stagegate/', '/stagegate', '/stagegate/acme/shop', '/stagegate/nobody/nothing']) {
      const res = await fetch(page(path), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const to = new URL(res.headers.get('location') ?? '', stack.app.url);
      expect(to.pathname).toBe('/stagegate/auth/login');
      expect(to.searchParams.get('return')).toBe(path === '/stagegate/nobody/nothing' || path === '/stagegate/acme/shop' || path === '/stagegate' ? path : '/stagegate/');
      expect(await res.text()).toBe('');
    }
  }, 60_000);

  it('sends the browser to GitHub’s authorize page with the app’s client id, the registered callback and a random state in a sealed HttpOnly, SameSite cookie', async () => {
    const a = new Browser();
    const b = new Browser();
    const [ra, rb] = [await a.get(page('/stagegate/auth/login')), await b.get(page('/stagegate/auth/login'))];
    const ua = new URL(ra.headers.get('location') ?? '');
    const ub = new URL(rb.headers.get('location') ?? '');
    expect(`${ua.origin}${ua.pathname}`).toBe(`${stack.sb.url}/login/oauth/authorize`);
    expect(ua.searchParams.get('client_id')).toBe(stack.sb.app.clientId);
    expect(ua.searchParams.get('redirect_uri')).toBe(`${stack.app.url}/stagegate/auth/callback`);
    expect(ua.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(ua.searchParams.get('state')).not.toBe(ub.searchParams.get('state'));
    const cookie = a.setCookies.find((c) => c.startsWith('stagegate_session=')) ?? '';
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Lax/i);
    expect(cookie).toMatch(/; Path=\/stagegate/i);
    // Served on 127.0.0.1 over plain HTTP, so not Secure (anywhere else it is).
    expect(cookie).not.toMatch(/; Secure/i);
    // Sealed: the state is not readable in the cookie.
    expect(decodeURIComponent(cookie)).not.toContain(ua.searchParams.get('state') ?? '');
  }, 60_000);

  it('refuses a callback whose state is not the one this browser started with (CSRF), and a replayed one', async () => {
    const { callback } = await signIn('alice');
    // Another browser (an attacker's link) with a valid code and state from someone else's sign-in.
    const other = new Browser();
    await other.get(page('/stagegate/auth/login'));
    const forged = await other.get(callback);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('state does not match');
    expect((await other.get(page('/stagegate/'))).status).toBe(302);
    // No session at all.
    expect((await fetch(callback, { redirect: 'manual' })).status).toBe(400);
  }, 60_000);

  it('a signed-in collaborator sees the repository on the index and its page; the session survives only unaltered', async () => {
    const { browser, callback } = await signIn('alice', '/stagegate/acme/shop');
    const index = await browser.get(page('/stagegate/'));
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await index.text();
    expect(html).toContain('Signed in as <strong>alice</strong>');
    expect(html).toContain('href="/stagegate/acme/shop"');
    const repo = await browser.get(page('/stagegate/acme/shop'));
    expect(repo.status).toBe(200);
    const body = await repo.text();
    expect(body).toContain('What runs where');
    expect(body).toContain('master → staging (staging)');
    // The same callback again, now in the signed-in browser: the state was used up.
    expect((await browser.get(callback)).status).toBe(400);
    const tampered = new Browser();
    const cookie = (await signIn('alice')).browser.cookie;
    tampered.cookie = cookie.slice(0, -4) + (cookie.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await tampered.get(page('/stagegate/'))).status).toBe(302);
  }, 60_000);

  it('a person who cannot read the repository sees nothing of it: not on the index, and the same 404 as a repository that does not exist', async () => {
    const { browser } = await signIn('mallory');
    const index = await (await browser.get(page('/stagegate/'))).text();
    expect(index).toContain('Signed in as <strong>mallory</strong>');
    expect(index).not.toContain('acme/shop');
    const hidden = await browser.get(page('/stagegate/acme/shop'));
    const missing = await browser.get(page('/stagegate/acme/nothing-here'));
    expect(hidden.status).toBe(404);
    expect(missing.status).toBe(404);
    const hiddenBody = await hidden.text();
    expect(hiddenBody).toBe(await missing.text());
    expect(hiddenBody).not.toMatch(/staging|production|What runs where/);
  }, 60_000);

  it('an expired or revoked user token shows nothing: the page sends the person to sign in again and ends the session', async () => {
    const { browser } = await signIn('alice', '/stagegate/acme/shop');
    // GitHub no longer accepts the token this sign-in got (expired early or revoked): the newest ghu_ token of alice.
    const tokens = [...stack.sb.tokens.entries()].filter(([t, v]) => t.startsWith('ghu_') && v.actor.kind === 'user' && v.actor.account.login === 'alice');
    const [, held] = tokens[tokens.length - 1] ?? [];
    if (!held) throw new Error('the sandbox holds no user access token for alice');
    held.expiresAt = Date.now() - 1;
    const repo = await browser.get(page('/stagegate/acme/shop'));
    expect(repo.status).toBe(302);
    expect(repo.headers.get('location')).toBe(`/stagegate/auth/login?return=${encodeURIComponent('/stagegate/acme/shop')}`);
    expect(await repo.text()).not.toContain('What runs where');
    // The session is gone: the response cleared the cookie, and the same browser is redirected again.
    expect(browser.cookie).toBe('');
    const again = await browser.get(page('/stagegate/'));
    expect(again.status).toBe(302);
    expect(again.headers.get('location')).toMatch(/^\/stagegate\/auth\/login/);
  }, 60_000);

  it('signs out only with the page’s own form token', async () => {
    const { browser } = await signIn('alice');
    const forged = await browser.get(page('/stagegate/auth/logout'), { method: 'POST', body: 'csrf=guess', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(forged.status).toBe(403);
    const html = await (await browser.get(page('/stagegate/'))).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csrf).not.toBe('');
    const out = await browser.get(page('/stagegate/auth/logout'), { method: 'POST', body: `csrf=${encodeURIComponent(csrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(out.status).toBe(200);
    expect((await browser.get(page('/stagegate/'))).status).toBe(302);
  }, 60_000);

  it('the sandbox exchanges a code once, only for the app’s credentials, as GitHub answers (errors with status 200)', async () => {
    const { sb } = stack;
    const code = sb.oauth.issueCode(sb.app.clientId, sb.oauth.callbackUrls[0] ?? '', sb.account('alice'));
    const exchange = (body: Record<string, string>) =>
      fetch(`${sb.url}/login/oauth/access_token`, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(await exchange({ client_id: sb.app.clientId, client_secret: 'wrong', code })).toMatchObject({ status: 200, body: { error: 'incorrect_client_credentials' } });
    const ok = await exchange({ client_id: sb.app.clientId, client_secret: sb.oauth.clientSecret, code });
    expect(ok.body).toMatchObject({ token_type: 'bearer', expires_in: 28800, scope: '' });
    expect(String(ok.body.access_token)).toMatch(/^ghu_/);
    expect(await exchange({ client_id: sb.app.clientId, client_secret: sb.oauth.clientSecret, code })).toMatchObject({ status: 200, body: { error: 'bad_verification_code' } });
    // The user access token reads what alice and the app both reach, and lists only the app's installations.
    const auth = { authorization: `token ${String(ok.body.access_token)}` };
    const inst = (await (await fetch(`${sb.apiUrl}/user/installations`, { headers: auth })).json()) as { total_count: number; installations: { app_id: number }[] };
    expect(inst.installations.map((i) => i.app_id)).toEqual([sb.app.id]);
    // A personal token is not a token authorized to a GitHub App.
    expect((await fetch(`${sb.apiUrl}/user/installations`, { headers: { authorization: `token ${sb.tokenFor('alice')}` } })).status).toBe(403);
    expect(sb.violations).toEqual([]);
  }, 60_000);
});
