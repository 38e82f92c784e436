/**
 * GitHub's OAuth web flow for the app (docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app):
 * the app's callback URLs and client secret, the codes `GET /login/oauth/authorize` hands out (single use, ten
 * minutes, bound to the client and the `redirect_uri`), and the user access tokens (`ghu_…`, eight hours, with a
 * `ghr_…` refresh token) `POST /login/oauth/access_token` exchanges them for. A user access token acts as the user
 * *through the app*: it reaches only what both the user and the app's installations can (routes/helpers.ts).
 */
import { randomBytes } from 'node:crypto';
import type { GitHubSandbox } from '../github-sandbox.js';
import type { Account } from '../state.js';

/** A code handed to the callback, waiting to be exchanged. */
interface PendingCode {
  clientId: string;
  redirectUri: string;
  account: Account;
  expiresAt: number;
}

/** The answer of `POST /login/oauth/access_token`: a token, or GitHub's error triple (sent with status 200). */
export type TokenExchange =
  | { access_token: string; expires_in: number; refresh_token: string; refresh_token_expires_in: number; scope: string; token_type: 'bearer' }
  | { error: string; error_description: string; error_uri: string };

const CODE_TTL_MS = 10 * 60_000;
/** GitHub's lifetimes of a user access token and its refresh token (when token expiration is on, the default). */
const TOKEN_TTL_S = 8 * 3600;
const REFRESH_TTL_S = 184 * 24 * 3600;
const DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

/** The app's OAuth side: its client secret, callback URLs, the codes out, and who signs in by default. */
export class OAuthState {
  /** The app's client secret (the client id is `sb.app.clientId`). */
  readonly clientSecret = randomBytes(20).toString('hex');
  /** The app's registered callback URLs: a `redirect_uri` must be one of them. */
  readonly callbackUrls: string[] = [];
  /** The user the sign-in page offers first (the demo's user); otherwise the first user. */
  defaultLogin: string | null = null;
  private readonly codes = new Map<string, PendingCode>();

  /** Registers a callback URL (as the app's settings page does). */
  registerCallback(url: string): void {
    if (!this.callbackUrls.includes(url)) this.callbackUrls.push(url);
  }

  /** The `redirect_uri` to send the user back to, or null when it is not a registered callback. */
  redirectFor(redirectUri: string | undefined): string | null {
    if (redirectUri === undefined || redirectUri === '') return this.callbackUrls[0] ?? null;
    return this.callbackUrls.includes(redirectUri) ? redirectUri : null;
  }

  /** `account` authorized the app: a code for the callback. */
  issueCode(clientId: string, redirectUri: string, account: Account): string {
    const code = randomBytes(10).toString('hex');
    this.codes.set(code, { clientId, redirectUri, account, expiresAt: Date.now() + CODE_TTL_MS });
    return code;
  }

  /** Exchanges a code once, as GitHub does: the client's credentials, an unexpired code, the same `redirect_uri`. */
  exchange(sb: GitHubSandbox, p: { clientId?: string; clientSecret?: string; code?: string; redirectUri?: string }): TokenExchange {
    if (p.clientId !== sb.app.clientId || p.clientSecret !== this.clientSecret) {
      return { error: 'incorrect_client_credentials', error_description: 'The client_id and/or client_secret passed are incorrect.', error_uri: `${DOCS}#incorrect-client-credentials` };
    }
    const pending = p.code ? this.codes.get(p.code) : undefined;
    if (!pending || !p.code || pending.expiresAt < Date.now() || pending.clientId !== p.clientId) {
      if (p.code) this.codes.delete(p.code);
      return { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: `${DOCS}#bad-verification-code` };
    }
    if (p.redirectUri !== undefined && p.redirectUri !== pending.redirectUri) {
      return { error: 'redirect_uri_mismatch', error_description: 'The redirect_uri MUST match the registered callback URL for this application.', error_uri: `${DOCS}#redirect-uri-mismatch2` };
    }
    this.codes.delete(p.code);
    const token = `ghu_${randomBytes(18).toString('hex')}`;
    sb.tokens.set(token, { actor: { kind: 'user', account: pending.account, app: sb.app }, expiresAt: Date.now() + TOKEN_TTL_S * 1000 });
    return { access_token: token, expires_in: TOKEN_TTL_S, refresh_token: `ghr_${randomBytes(38).toString('hex')}`, refresh_token_expires_in: REFRESH_TTL_S, scope: '', token_type: 'bearer' };
  }
}

/** The users who may sign in on the sandbox's authorize page (people, not bots or organizations). */
export function signInAccounts(sb: GitHubSandbox): Account[] {
  return [...sb.accounts.values()].filter((a) => a.type === 'User' && a.login !== 'web-flow');
}

/** Whether a user access token's app is installed where `owner`'s repositories are. */
export function installedOn(sb: GitHubSandbox, owner: Account): boolean {
  return [...sb.installations.values()].some((i) => i.account.id === owner.id);
}
