/**
 * The delivery health page under `/stagegate/` (a Probot `addHandler` handler): sign-in with GitHub's OAuth web
 * flow (@octokit/oauth-methods; a random `state` kept in the sealed session and compared once), the index of the
 * repositories the person can read where the app is installed, and one page per repository. Nothing is shown
 * without a session; a repository the person cannot read answers the same 404 as one that does not exist.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import type { GitHubRequester } from '../../src/github/client.js';
import { renderErrorPage, renderIndexPage, renderNotFoundPage, renderSignedOutPage, renderSignInFailedPage } from '../../src/health/page/other-pages.js';
import { renderRepoPage } from '../../src/health/page/repo-page.js';
import type { Viewer } from '../../src/health/page/view.js';
import { callbackUrl, type WebConfig } from './config.js';
import { readRepoView, type RepoDataDeps } from './repo-data.js';
import { sessionOf } from './session.js';
import { userClient, UserAccess } from './user-access.js';

/** What the page needs from the app. */
export interface HealthPageDeps extends RepoDataDeps {
  config: WebConfig;
  /** This app's id (installations of other apps are not ours to read through). */
  appId: () => Promise<number>;
  /** The app's client for an installation. */
  installationClient: (installationId: number) => Promise<GitHubRequester>;
  /** Where failures are logged. */
  log: { warn(obj: unknown, msg?: string): void };
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, ...SECURITY_HEADERS });
  res.end();
}

const sameString = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Only a path of this page may be returned to after sign-in (never another site). */
function safeReturn(p: string | null): string {
  return p && /^\/stagegate(\/[A-Za-z0-9._\-/]*)?$/.test(p) && !p.includes('//') ? p : '/stagegate/';
}

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 16_384) throw new Error('form too large');
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The page's handler: answers `/stagegate` and everything under it, and nothing else. */
export function healthPageHandler(deps: HealthPageDeps): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const { config } = deps;
  const access = new UserAccess(config.apiUrl, deps.appId, config.accessTtlMs);
  const oauthRequest = octokitRequest.defaults({ baseUrl: config.apiUrl });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stagegate.invalid');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const session = await sessionOf(req, res, config);

    if (path === '/stagegate/auth/login' && method === 'GET') {
      const state = randomBytes(24).toString('base64url');
      session.oauthState = state;
      session.returnTo = safeReturn(url.searchParams.get('return'));
      await session.save();
      const { url: to } = getWebFlowAuthorizationUrl({ clientType: 'github-app', clientId: config.clientId, redirectUrl: callbackUrl(config), state, request: oauthRequest });
      return redirect(res, to);
    }
    if (path === '/stagegate/auth/callback' && method === 'GET') {
      const state = url.searchParams.get('state') ?? '';
      const expected = session.oauthState ?? '';
      const returnTo = safeReturn(session.returnTo ?? null);
      delete session.oauthState;
      delete session.returnTo;
      if (!expected || !sameString(state, expected)) {
        await session.save();
        return send(res, 400, renderSignInFailedPage('The sign-in did not start here, or it was already used (the state does not match). Nothing was signed in.'));
      }
      const code = url.searchParams.get('code');
      if (!code) {
        await session.save();
        return send(res, 400, renderSignInFailedPage(`GitHub did not authorize the sign-in${url.searchParams.get('error') ? ` (${url.searchParams.get('error')})` : ''}.`));
      }
      try {
        const { authentication } = await exchangeWebFlowCode({
          clientType: 'github-app',
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          code,
          redirectUrl: callbackUrl(config),
          request: oauthRequest,
        });
        const me = await userClient(config.apiUrl, authentication.token).request('GET /user');
        session.login = me.data.login;
        session.token = authentication.token;
        session.tokenExpiresAt = 'expiresAt' in authentication && authentication.expiresAt ? Date.parse(authentication.expiresAt) : Date.now() + 8 * 3600_000;
        session.csrf = randomBytes(24).toString('base64url');
        await session.save();
        return redirect(res, returnTo);
      } catch (err) {
        deps.log.warn({ err }, 'stagegate: a sign-in could not be completed');
        await session.save();
        return send(res, 502, renderSignInFailedPage(`GitHub refused the sign-in: ${(err as Error).message}`));
      }
    }
    if (path === '/stagegate/auth/logout' && method === 'POST') {
      const form = await readBody(req);
      if (!session.csrf || !sameString(form.get('csrf') ?? '', session.csrf)) return send(res, 403, renderSignInFailedPage('The sign-out form is not from this page.'));
      session.destroy();
      return send(res, 200, renderSignedOutPage());
    }
    if (method !== 'GET' && method !== 'HEAD') return send(res, 405, renderNotFoundPage(null));

    // Every other page needs a live session.
    if (!session.token || !session.login || !session.csrf || (session.tokenExpiresAt ?? 0) <= Date.now()) {
      return redirect(res, `/stagegate/auth/login?return=${encodeURIComponent(safeReturn(path))}`);
    }
    const viewer: Viewer = { login: session.login, csrf: session.csrf };
    let readable;
    try {
      readable = await access.access(session.token);
    } catch (err) {
      if ((err as { status?: number }).status === 401) {
        session.destroy();
        return redirect(res, `/stagegate/auth/login?return=${encodeURIComponent(safeReturn(path))}`);
      }
      throw err;
    }
    if (path === '/stagegate' || path === '/stagegate/') {
      const repositories = [...readable.values()].map((r) => ({ fullName: r.fullName, permission: r.permission })).sort((a, b) => a.fullName.localeCompare(b.fullName));
      return send(res, 200, renderIndexPage({ viewer, repositories }));
    }
    const m = /^\/stagegate\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)\/?$/.exec(path);
    const target = m ? readable.get(`${m[1]}/${m[2]}`.toLowerCase()) : undefined;
    if (!target) return send(res, 404, renderNotFoundPage(viewer));
    const [owner = '', repo = ''] = target.fullName.split('/');
    const client = await deps.installationClient(target.installationId);
    const view = await readRepoView(deps, client, { owner, repo, htmlUrl: target.htmlUrl, defaultBranch: target.defaultBranch }, viewer);
    return send(res, 200, await renderRepoPage(view));
  }

  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://stagegate.invalid').pathname;
    if (path !== '/stagegate' && !path.startsWith('/stagegate/')) return false;
    try {
      await handle(req, res);
    } catch (err) {
      deps.log.warn({ err }, 'stagegate: the delivery health page failed');
      if (!res.headersSent) send(res, 500, renderErrorPage('The page could not be built; the app logged why.'));
      else res.end();
    }
    return true;
  };
}
