/**
 * The session cookie: sealed (encrypted and signed) by iron-session, HttpOnly, SameSite=Lax, Secure unless the
 * page is served on this machine over plain HTTP, scoped to `/stagegate`. It holds the person's user access token
 * (so it never leaves the server readable), who they are, the sign-out form token, and during sign-in the OAuth
 * `state` and where to return.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getIronSession, type IronSession } from 'iron-session';
import { isLocal, type WebConfig } from './config.js';

/** What the cookie carries. */
export interface SessionData {
  login?: string;
  token?: string;
  /** When the user access token expires (epoch ms); the person signs in again after it. */
  tokenExpiresAt?: number;
  /** The sign-out form's token. */
  csrf?: string;
  /** The OAuth `state` of a sign-in under way, and the page to return to. */
  oauthState?: string;
  returnTo?: string;
}

export const SESSION_COOKIE = 'stagegate_session';
/** How long a session lasts at most (GitHub's user access tokens last eight hours). */
const SESSION_TTL_S = 8 * 3600;

/** The session of a request (an empty one when the cookie is absent, tampered with or expired). */
export function sessionOf(req: IncomingMessage, res: ServerResponse, config: WebConfig): Promise<IronSession<SessionData>> {
  return getIronSession<SessionData>(req, res, {
    password: config.sessionPassword,
    cookieName: SESSION_COOKIE,
    ttl: SESSION_TTL_S,
    cookieOptions: { httpOnly: true, secure: !isLocal(config.publicUrl), sameSite: 'lax', path: '/stagegate' },
  });
}
