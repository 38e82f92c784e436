/** The delivery queue: records every delivery, sends it (concurrently as GitHub does, or in order), redelivers and forges. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { deliveryHeaders, newDeliveryId, postDelivery, type Delivery } from './sender.js';

/** How a delivery is signed and what it stands for. */
export interface EnqueueOptions {
  signature: 'valid' | 'bad' | 'missing';
  /** The id of the delivery this one re-sends verbatim. */
  redeliveryOf: string | null;
  /** `X-GitHub-Hook-Installation-Target-ID`: the app's id for an app's webhook. */
  targetId: number;
  /** The exact body (a redelivery's); `JSON.stringify(payload)` when absent. */
  body?: string;
  id?: string;
}

/** Records and sends deliveries to `sb.webhookUrl`; `pending` counts those not answered yet. */
export class DeliveryQueue {
  pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly sb: GitHubSandbox,
    private readonly opts: { timeoutMs: number; ordered: boolean; hookId: number },
  ) {}

  /** Records one delivery and, when a webhook URL is set, sends it. */
  enqueue(event: string, payload: Record<string, unknown>, o: EnqueueOptions): Delivery {
    const sb = this.sb;
    const body = o.body ?? JSON.stringify(payload);
    const id = o.id ?? newDeliveryId();
    const d: Delivery = {
      id,
      event,
      action: typeof payload.action === 'string' ? payload.action : null,
      payload,
      body,
      headers: deliveryHeaders({ id, event, body, secret: sb.app.webhookSecret, hookId: this.opts.hookId, targetId: o.targetId, targetType: 'integration', signature: o.signature }),
      status: null,
      responseBody: '',
      error: null,
      redeliveryOf: o.redeliveryOf,
      deliveredAt: null,
      durationMs: null,
    };
    sb.deliveries.push(d);
    const url = sb.webhookUrl;
    const signal = this.stopping.signal;
    if (url && !signal.aborted) {
      this.pending++;
      const send = (): Promise<void> => (signal.aborted ? Promise.resolve() : postDelivery(url, d, this.opts.timeoutMs, signal));
      const sent = (this.opts.ordered ? this.chain.then(send) : send()).finally(() => {
        this.pending--;
        sb.events.emit('delivery', d);
        sb.events.emit('change');
      });
      if (this.opts.ordered) this.chain = sent;
    } else {
      sb.events.emit('delivery', d);
      sb.events.emit('change');
    }
    return d;
  }

  /** Re-sends a recorded delivery verbatim (same id, body and signature), as GitHub's "Redeliver" does. */
  redeliver(deliveryId: string): Delivery {
    const d = this.sb.deliveries.find((x) => x.id === deliveryId);
    if (!d) throw new Error(`no delivery ${deliveryId}`);
    const copy = this.enqueue(d.event, d.payload, { signature: 'valid', redeliveryOf: d.id, targetId: Number(d.headers['x-github-hook-installation-target-id']), body: d.body, id: d.id });
    copy.headers = { ...d.headers };
    return copy;
  }

  /** Stops sending (deliveries in flight are aborted). */
  stop(): void {
    this.stopping.abort();
  }
}
