/** The built-in apps, installations of the sandbox's app and their tokens. */
import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { GitHubSandbox, SandboxOptions } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import type { Account, AppData, InstallationState } from '../state.js';
import { defaultAppManifest, manifestEvents } from '../webhooks/subscriptions.js';
import { addAccount } from './accounts.js';

/** The installation of the app on `owner` (created on first use). */
export function installationFor(sb: GitHubSandbox, owner: Account): InstallationState {
  for (const i of sb.installations.values()) if (i.account.id === owner.id) return i;
  const inst = { id: sb.nextId() + 50000, account: owner, createdAt: iso() };
  sb.installations.set(inst.id, inst);
  return inst;
}

/** Issues an installation token (as `POST /app/installations/{id}/access_tokens` does). */
export function issueInstallationToken(sb: GitHubSandbox, installationId: number, app: AppData = sb.app): { token: string; expiresAt: string } {
  const token = `ghs_${randomBytes(18).toString('hex')}`;
  const expires = Date.now() + 3600_000;
  const bot = sb.account(`${app.slug}[bot]`);
  sb.tokens.set(token, { actor: { kind: 'installation', app, installationId, bot }, expiresAt: expires });
  return { token, expiresAt: iso(new Date(expires)) };
}

/** The sandbox's own app (with its key pair and webhook secret), as {@link GitHubSandbox.app}. */
export type SandboxApp = AppData & { privateKey: string; publicKey: KeyObject; webhookSecret: string };

/**
 * Creates the apps and bot accounts every sandbox has: the app under test (`stagegate` unless
 * `opts.app` says otherwise, with a fresh RSA key, subscribed to `opts.events` or the manifest's `default_events`), GitHub Actions (`github-actions[bot]`, whose token
 * workflow runs get), a CI app (`sandbox-ci[bot]`, for `addCheckRun`) and `web-flow` (GitHub's committer).
 */
export function builtInApps(sb: GitHubSandbox, opts: SandboxOptions): { app: SandboxApp; actionsApp: AppData; ciApp: AppData } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const owner = addAccount(sb, { login: 'sandbox-apps', type: 'Organization', name: 'Sandbox Apps' });
  const slug = opts.app?.slug ?? 'stagegate';
  const app: SandboxApp = {
    id: opts.app?.id ?? 1001,
    slug,
    name: opts.app?.name ?? 'Stagegate',
    owner,
    clientId: `Iv1.${randomBytes(8).toString('hex')}`,
    createdAt: iso(),
    permissions: { checks: 'write', contents: 'write', deployments: 'write', pull_requests: 'write', issues: 'write', statuses: 'write', actions: 'write', members: 'read', metadata: 'read' },
    events: [...(opts.events ?? manifestEvents(opts.appManifest ?? defaultAppManifest()))],
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: createPublicKey(privateKey),
    webhookSecret: opts.webhookSecret ?? randomBytes(16).toString('hex'),
  };
  addAccount(sb, { login: `${slug}[bot]`, type: 'Bot', name: app.name });
  const gh = addAccount(sb, { login: 'github', type: 'Organization', name: 'GitHub' });
  const actionsApp: AppData = {
    id: 15368,
    slug: 'github-actions',
    name: 'GitHub Actions',
    owner: gh,
    clientId: 'Iv1.actions',
    createdAt: iso(),
    permissions: { contents: 'write', deployments: 'write', checks: 'write', statuses: 'write', pull_requests: 'write', issues: 'write' },
    events: [],
  };
  addAccount(sb, { login: 'github-actions[bot]', type: 'Bot', name: 'GitHub Actions', emails: ['41898282+github-actions[bot]@users.noreply.github.com'] });
  const ciApp: AppData = { id: 2002, slug: 'sandbox-ci', name: 'Sandbox CI', owner: gh, clientId: 'Iv1.ci', createdAt: iso(), permissions: { checks: 'write', statuses: 'write' }, events: [] };
  addAccount(sb, { login: 'sandbox-ci[bot]', type: 'Bot', name: 'Sandbox CI' });
  addAccount(sb, { login: 'web-flow', type: 'User', name: 'GitHub', emails: ['noreply@github.com'] });
  return { app, actionsApp, ciApp };
}
