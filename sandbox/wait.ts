/** Waiting on the sandbox: for a delivery, a workflow run, any condition, or for everything to settle. */
import type { GitHubSandbox } from './github-sandbox.js';
import type { WorkflowRun } from './runner/workflow-runner.js';
import type { Delivery } from './webhooks/sender.js';

/** Resolves with the first delivery (past or future) matching `pred` once it was sent. */
export function waitForDelivery(sb: GitHubSandbox, pred: (d: Delivery) => boolean, timeoutMs = 20_000): Promise<Delivery> {
  return sb.waitFor(() => sb.deliveries.find((d) => (d.deliveredAt !== null || !sb.webhookUrl) && pred(d)) ?? null, timeoutMs, 'webhook delivery');
}

/** Resolves with the first completed workflow run matching `pred`. */
export function waitForWorkflowRun(sb: GitHubSandbox, pred: (r: WorkflowRun) => boolean = () => true, timeoutMs = 120_000): Promise<WorkflowRun> {
  return sb.waitFor(() => sb.runner.runs.find((r) => r.status === 'completed' && pred(r)) ?? null, timeoutMs, 'workflow run');
}

/** Polls `probe` on every change until it returns non-null. */
export function waitFor<T>(sb: GitHubSandbox, probe: () => T | null, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const v = probe();
      if (v !== null && v !== undefined) {
        cleanup();
        resolve(v);
        return true;
      }
      return false;
    };
    const onChange = (): void => void check();
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const poll = setInterval(onChange, 100);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
      sb.events.off('change', onChange);
    };
    sb.events.on('change', onChange);
    check();
  });
}

/** Resolves when no delivery is pending, no request is in flight and no workflow runs, for `quietMs`. */
export async function settled(sb: GitHubSandbox, timeoutMs = 60_000, quietMs = 150): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = 0;
  for (;;) {
    const busy = sb.deliveryQueue.pending > 0 || sb.apiServer.inflight > 0 || sb.runner.active > 0;
    if (busy) quietSince = 0;
    else if (!quietSince) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    if (Date.now() > deadline) {
      const recent = new Map<string, number>();
      for (const d of sb.deliveries.slice(-60)) {
        const k = `${d.event}${d.action ? `.${d.action}` : ''} (${String((d.payload.repository as { full_name?: string } | undefined)?.full_name ?? '?')})`;
        recent.set(k, (recent.get(k) ?? 0) + 1);
      }
      const top = [...recent.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([k, n]) => `${n}× ${k}`)
        .join(', ');
      throw new Error(
        `sandbox did not settle in ${timeoutMs} ms: ${sb.deliveryQueue.pending} webhook deliveries pending, ${sb.apiServer.inflight} API requests in flight, ${sb.runner.active} workflow runs active; last deliveries: ${top}`,
      );
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
