/**
 * Emitting a webhook: the world function that changes state calls `sb.emit(repo, event, body, sender)`; this
 * adds what every payload carries (`repository`, `sender`, `installation`, `organization`), checks the payload
 * against `@octokit/openapi-webhooks` (a mismatch is a `webhook` violation) and queues the delivery — when the app
 * subscribes to the event (`webhooks/subscriptions.ts`); otherwise it is listed in `sb.unsubscribed`, not delivered.
 */
import type { GitHubSandbox } from '../github-sandbox.js';
import { nodeId } from '../json/common.js';
import { repoJson } from '../json/repos.js';
import { orgJson, userJson } from '../json/users.js';
import type { Account, RepoState } from '../state.js';
import { webhookContract } from '../webhook-contract.js';
import type { Delivery } from './sender.js';

/** Builds, validates, records and (when a URL is set) sends one webhook delivery of the app installed on `r`'s owner; null when the app does not subscribe to `event`. */
export async function emit(sb: GitHubSandbox, r: RepoState, event: string, body: Record<string, unknown>, sender: Account): Promise<Delivery | null> {
  const inst = sb.installationFor(r.owner);
  const payload: Record<string, unknown> = {
    ...body,
    repository: repoJson(sb.bases, r),
    sender: userJson(sb.bases, sender),
    installation: { id: inst.id, node_id: nodeId('Installation', inst.id) },
  };
  if (r.owner.type === 'Organization') payload.organization = orgJson(sb.bases, r.owner);
  const errors = webhookContract().check(event, payload);
  if (errors.length) sb.violations.push({ kind: 'webhook', operationId: `${event}${typeof body.action === 'string' ? `.${body.action}` : ''}`, errors });
  if (!sb.app.events.includes(event)) {
    sb.unsubscribed.push({ event, action: typeof body.action === 'string' ? body.action : null, repository: `${r.owner.login}/${r.name}` });
    return null;
  }
  return sb.deliveryQueue.enqueue(event, payload, { signature: 'valid', redeliveryOf: null, targetId: sb.app.id });
}
