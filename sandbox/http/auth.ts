/** Authentication as GitHub does it: tokens (installation, user, workflow) and app JWTs (RS256, verified with the app's public key). */
import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { GitHubSandbox } from '../github-sandbox.js';
import type { Actor, AppData } from '../state.js';

/** Who the `Authorization` header authenticates (app JWTs are verified against the app's public key). */
export function authenticate(sb: GitHubSandbox, header: string | undefined): Actor | { kind: 'invalid'; message: string } {
  if (!header) return { kind: 'anonymous' };
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header.trim());
  if (!m || !m[1]) return { kind: 'invalid', message: 'Bad credentials' };
  const token = m[1];
  if (token.split('.').length === 3) return verifyAppJwt(token, sb.app);
  const t = sb.tokens.get(token);
  if (!t) return { kind: 'invalid', message: 'Bad credentials' };
  if (t.expiresAt < Date.now()) return { kind: 'invalid', message: 'Bad credentials' };
  return t.actor;
}

/** Verifies an app's RS256 JWT as GitHub does (signature, `iss`, `iat`, `exp` at most 10 minutes ahead). */
export function verifyAppJwt(jwt: string, app: AppData & { publicKey: KeyObject }): Actor | { kind: 'invalid'; message: string } {
  const [h, p, s] = jwt.split('.');
  const bad = (message: string): { kind: 'invalid'; message: string } => ({ kind: 'invalid', message });
  try {
    const header = JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'RS256') return bad('A JSON web token could not be decoded');
    const ok = cryptoVerify(`${h}.${p}`, Buffer.from(s ?? '', 'base64url'), app.publicKey);
    if (!ok) return bad('A JSON web token could not be decoded');
    const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as { iss?: unknown; iat?: unknown; exp?: unknown };
    const now = Math.floor(Date.now() / 1000);
    if (String(claims.iss) !== String(app.id) && claims.iss !== app.clientId) return bad("'Issuer' claim ('iss') must be an Integer");
    if (typeof claims.exp !== 'number' || claims.exp <= now) return bad("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    if (typeof claims.iat !== 'number' || claims.iat > now + 60) return bad("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
    if (claims.exp - claims.iat > 660) return bad("'Expiration time' claim ('exp') is too far in the future");
    return { kind: 'app', app };
  } catch {
    return bad('A JSON web token could not be decoded');
  }
}

function cryptoVerify(data: string, sig: Buffer, key: KeyObject): boolean {
  return nodeVerify('RSA-SHA256', Buffer.from(data), key, sig);
}
