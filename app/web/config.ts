/** How the delivery health page is configured (environment variables; README "The delivery health page"). */
import { hkdfSync } from 'node:crypto';

/** What the page needs to sign people in and to reach GitHub. */
export interface WebConfig {
  /** The GitHub App's OAuth client id and secret. */
  clientId: string;
  clientSecret: string;
  /** Where people reach the app (`https://stagegate.example.com`): the callback is `<url>/stagegate/auth/callback`. */
  publicUrl: string;
  /** Seals the session cookie (32 characters or more). */
  sessionPassword: string;
  /** GitHub's REST API (`https://api.github.com`, or `<protocol>://<GHE_HOST>/api/v3`). */
  apiUrl: string;
  /** How long a person's readable repositories are reused before they are asked of GitHub again (ms). */
  accessTtlMs: number;
}

/** The callback URL registered on the GitHub App. */
export function callbackUrl(c: Pick<WebConfig, 'publicUrl'>): string {
  return `${c.publicUrl.replace(/\/+$/, '')}/stagegate/auth/callback`;
}

/** Whether cookies may go without `Secure` (plain HTTP on this machine only). */
export function isLocal(publicUrl: string): boolean {
  const host = new URL(publicUrl).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/**
 * The page's configuration from the environment: `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET` (both, or the page is
 * off), `STAGEGATE_URL` (default `http://localhost:$PORT`), `STAGEGATE_SESSION_SECRET` (default: derived from the
 * app's private key, so every replica seals alike), `GHE_HOST`/`GHE_PROTOCOL` as Probot reads them. Returns null
 * when the page is off; throws with what to fix when it is half configured.
 */
export function webConfigFromEnv(env: NodeJS.ProcessEnv): WebConfig | null {
  const clientId = env.GITHUB_CLIENT_ID ?? '';
  const clientSecret = env.GITHUB_CLIENT_SECRET ?? '';
  if (!clientId && !clientSecret) return null;
  if (!clientId || !clientSecret) throw new Error('the delivery health page needs both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App’s client id and a client secret)');
  const publicUrl = (env.STAGEGATE_URL ?? `http://localhost:${env.PORT ?? '3000'}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(publicUrl)) throw new Error(`STAGEGATE_URL must be an http(s) URL, not ${publicUrl}`);
  let sessionPassword = env.STAGEGATE_SESSION_SECRET ?? '';
  if (sessionPassword && sessionPassword.length < 32) throw new Error('STAGEGATE_SESSION_SECRET must be at least 32 characters');
  if (!sessionPassword) {
    const key = env.PRIVATE_KEY ?? '';
    if (!key) throw new Error('the delivery health page needs STAGEGATE_SESSION_SECRET (32 characters or more) when PRIVATE_KEY is not set');
    sessionPassword = Buffer.from(hkdfSync('sha256', key, 'stagegate', 'stagegate session cookie', 32)).toString('base64url');
  }
  const apiUrl = env.GHE_HOST ? `${env.GHE_PROTOCOL ?? 'https'}://${env.GHE_HOST}/api/v3` : 'https://api.github.com';
  return { clientId, clientSecret, publicUrl, sessionPassword, apiUrl, accessTtlMs: 60_000 };
}
