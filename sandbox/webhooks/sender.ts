import { createHmac, randomUUID } from 'node:crypto';

/** One webhook delivery as sent (or attempted) over HTTP. */
export interface Delivery {
  /** `X-GitHub-Delivery`. */
  id: string;
  event: string;
  action: string | null;
  payload: Record<string, unknown>;
  /** The exact body sent. */
  body: string;
  headers: Record<string, string>;
  /** HTTP status of the receiver, or null when it could not be reached. */
  status: number | null;
  responseBody: string;
  error: string | null;
  /** Set when this delivery re-sends an earlier one verbatim. */
  redeliveryOf: string | null;
  deliveredAt: string | null;
  /** How long the receiver took to answer. */
  durationMs: number | null;
}

/** `sha256=` HMAC of `body` with `secret`, as `X-Hub-Signature-256` carries it. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Builds the headers GitHub sends with a delivery. */
export function deliveryHeaders(opts: {
  id: string;
  event: string;
  body: string;
  secret: string;
  hookId: number;
  targetId: number;
  targetType: string;
  signature?: 'valid' | 'bad' | 'missing';
}): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/sandbox',
    'x-github-event': opts.event,
    'x-github-delivery': opts.id,
    'x-github-hook-id': String(opts.hookId),
    'x-github-hook-installation-target-id': String(opts.targetId),
    'x-github-hook-installation-target-type': opts.targetType,
  };
  const mode = opts.signature ?? 'valid';
  if (mode === 'valid') h['x-hub-signature-256'] = signBody(opts.secret, opts.body);
  if (mode === 'bad') h['x-hub-signature-256'] = signBody(`${opts.secret}-wrong`, opts.body);
  return h;
}

export function newDeliveryId(): string {
  return randomUUID();
}

/** POSTs one delivery; never throws (failures are recorded on the delivery). */
export async function postDelivery(url: string, d: Delivery, timeoutMs: number, cancel?: AbortSignal): Promise<void> {
  const started = Date.now();
  try {
    const signal = cancel ? AbortSignal.any([cancel, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body, signal });
    d.status = res.status;
    d.responseBody = (await res.text()).slice(0, 4000);
  } catch (err) {
    d.status = null;
    d.error = err instanceof Error ? err.message : String(err);
  }
  d.deliveredAt = new Date().toISOString();
  d.durationMs = Date.now() - started;
}
