import { createHmac, createSign, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Octokit } from '@octokit/rest';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';

/** One webhook as a local receiver got it, with its signature checked independently of the sandbox. */
export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  payload: Record<string, unknown>;
  signatureValid: boolean;
}

/** A local HTTP webhook receiver that checks `X-Hub-Signature-256` with node:crypto. */
export async function startReceiver(secret: () => string): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sig = String(req.headers['x-hub-signature-256'] ?? '');
      const expected = `sha256=${createHmac('sha256', secret()).update(body).digest('hex')}`;
      const signatureValid = sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      received.push({ headers: req.headers, body, payload: JSON.parse(body) as Record<string, unknown>, signatureValid });
      res.writeHead(signatureValid ? 200 : 401);
      res.end(signatureValid ? 'ok' : 'bad signature');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** An RS256 app JWT, signed here with node:crypto (independent of the sandbox's verifier). */
export function appJwt(appId: number, privateKeyPem: string, opts: { iat?: number; exp?: number } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'RS256', typ: 'JWT' });
  const body = enc({ iat: opts.iat ?? now - 30, exp: opts.exp ?? now + 540, iss: appId });
  const signer = createSign('RSA-SHA256');
  signer.update(`${head}.${body}`);
  return `${head}.${body}.${signer.sign(privateKeyPem).toString('base64url')}`;
}

const quiet = { debug: (): void => undefined, info: (): void => undefined, warn: (): void => undefined, error: (): void => undefined };

/** An Octokit REST client against the sandbox (GHE-style base URL). */
export function client(sb: GitHubSandbox, token?: string): Octokit {
  return new Octokit({ baseUrl: sb.apiUrl, ...(token ? { auth: token } : {}), request: { retries: 0 }, log: quiet });
}

/** Exchanges an app JWT for an installation token over HTTP, as Probot does. */
export async function installationToken(sb: GitHubSandbox, owner: string, repo: string): Promise<string> {
  const asApp = client(sb, appJwt(sb.app.id, sb.app.privateKey));
  const inst = await asApp.apps.getRepoInstallation({ owner, repo });
  const tok = await asApp.apps.createInstallationAccessToken({ installation_id: inst.data.id });
  return tok.data.token;
}

/** Users alice (developer), bob and carol (managers), org acme with team release-managers, repo acme/shop. */
export async function seedShop(sb: GitHubSandbox): Promise<void> {
  sb.createUser({ login: 'alice', name: 'Alice Dev', email: 'alice@acme.test' });
  sb.createUser({ login: 'bob', name: 'Bob Manager', email: 'bob@acme.test' });
  sb.createUser({ login: 'carol', name: 'Carol Manager', email: 'carol@acme.test' });
  sb.createOrg({ login: 'acme' });
  sb.createTeam('acme', { slug: 'release-managers', members: { bob: {}, carol: { state: 'pending' } } });
  await sb.createRepo({
    owner: 'acme',
    name: 'shop',
    defaultBranch: 'master',
    branches: ['staging', 'production'],
    files: { 'README.md': '# shop\n', '.github/stagegate.yml': 'stages: []\n' },
    author: 'alice',
  });
  for (const u of ['alice', 'bob', 'carol']) sb.addCollaborator('acme/shop', u, 'write');
}

/** Every event the sandbox emits, for tests of the sandbox's webhooks themselves (the app's own subscription is app.yml's). */
export const allSandboxEvents = ['pull_request', 'pull_request_review', 'check_run', 'check_suite', 'status', 'deployment', 'deployment_status', 'issue_comment', 'push'];
