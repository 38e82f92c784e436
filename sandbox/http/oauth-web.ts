/**
 * GitHub's web endpoints of the OAuth flow (not REST operations, so outside the OpenAPI description):
 * `GET /login/oauth/authorize` (the page where a signed-in person authorizes the app; on the sandbox it also
 * picks who signs in), its form's `POST`, which sends the browser to the callback with `code` and `state`, and
 * `POST /login/oauth/access_token`, which exchanges the code (form, JSON or query parameters; JSON answer with
 * `Accept: application/json`, else form-encoded; errors are answered with status 200, as GitHub does).
 */
import type { IncomingMessage } from 'node:http';
import type { GitHubSandbox } from '../github-sandbox.js';
import { signInAccounts } from '../world/oauth.js';

/** A web answer: status, headers, body. */
export interface WebAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Answers the OAuth web endpoints; null for any other path. */
export function oauthWeb(sb: GitHubSandbox, req: IncomingMessage, raw: string): WebAnswer | null {
  const url = new URL(req.url ?? '/', sb.bases.web);
  const method = (req.method ?? 'GET').toUpperCase();
  if (url.pathname === '/login/oauth/authorize') return method === 'POST' ? authorized(sb, params(req, raw, url)) : authorizePage(sb, url.searchParams);
  if (url.pathname === '/login/oauth/access_token') {
    if (method !== 'POST') return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
    const p = params(req, raw, url);
    const answer = sb.oauth.exchange(sb, {
      ...opt('clientId', p.get('client_id')),
      ...opt('clientSecret', p.get('client_secret')),
      ...opt('code', p.get('code')),
      ...opt('redirectUri', p.get('redirect_uri')),
    });
    const json = /application\/json/i.test(String(req.headers.accept ?? ''));
    const body = json ? JSON.stringify(answer) : new URLSearchParams(Object.entries(answer).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return { status: 200, headers: { 'content-type': json ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded; charset=utf-8' }, body };
  }
  // What a browser asks of the site beside the page (GitHub serves one; the sandbox has none).
  if (url.pathname === '/favicon.ico') return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' };
  return null;
}

function opt<K extends string>(key: K, v: string | null): Partial<Record<K, string>> {
  return v === null ? {} : ({ [key]: v } as Record<K, string>);
}

/** Parameters from the query string, then a form or JSON body. */
function params(req: IncomingMessage, raw: string, url: URL): URLSearchParams {
  const out = new URLSearchParams(url.searchParams);
  const type = String(req.headers['content-type'] ?? '');
  if (/json/i.test(type) && raw) {
    for (const [k, v] of Object.entries(JSON.parse(raw) as Record<string, unknown>)) if (v !== undefined && v !== null) out.set(k, String(v));
  } else if (raw) for (const [k, v] of new URLSearchParams(raw)) out.set(k, v);
  return out;
}

function page(status: number, title: string, inner: string): WebAnswer {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1>${inner}</main></body></html>`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body };
}

function authorizePage(sb: GitHubSandbox, q: URLSearchParams): WebAnswer {
  if (q.get('client_id') !== sb.app.clientId) return page(404, 'Not Found', '<p>No application has this client id.</p>');
  const redirect = sb.oauth.redirectFor(q.get('redirect_uri') ?? undefined);
  if (!redirect) return page(400, 'Redirect URI mismatch', '<p>The redirect_uri is not a callback URL of this application.</p>');
  const people = signInAccounts(sb);
  const preferred = q.get('login') ?? sb.oauth.defaultLogin ?? people[0]?.login ?? '';
  const options = people.map((a) => `<option value="${esc(a.login)}"${a.login === preferred ? ' selected' : ''}>${esc(a.login)} (${esc(a.name)})</option>`).join('');
  const hidden = ['client_id', 'redirect_uri', 'state'].map((k) => `<input type="hidden" name="${k}" value="${esc(k === 'redirect_uri' ? redirect : (q.get(k) ?? ''))}">`).join('');
  return page(
    200,
    `Authorize ${sb.app.name}`,
    `<p>${esc(sb.app.name)} by ${esc(sb.app.owner.login)} wants to know who you are and what you can read.</p>` +
      `<form method="post" action="/login/oauth/authorize">${hidden}<label for="login">Signed in to the GitHub sandbox as</label> <select id="login" name="login">${options}</select> ` +
      `<button type="submit" id="authorize">Authorize ${esc(sb.app.name)}</button></form>`,
  );
}

function authorized(sb: GitHubSandbox, p: URLSearchParams): WebAnswer {
  if (p.get('client_id') !== sb.app.clientId) return page(404, 'Not Found', '<p>No application has this client id.</p>');
  const redirect = sb.oauth.redirectFor(p.get('redirect_uri') ?? undefined);
  if (!redirect) return page(400, 'Redirect URI mismatch', '<p>The redirect_uri is not a callback URL of this application.</p>');
  const account = signInAccounts(sb).find((a) => a.login === p.get('login'));
  if (!account) return page(422, 'Unknown user', '<p>No such user on the sandbox.</p>');
  const to = new URL(redirect);
  to.searchParams.set('code', sb.oauth.issueCode(sb.app.clientId, redirect, account));
  const state = p.get('state');
  if (state !== null) to.searchParams.set('state', state);
  return { status: 302, headers: { location: to.toString(), 'content-type': 'text/html; charset=utf-8' }, body: '' };
}
