/** Small helpers every serialiser uses: GitHub's node ids, timestamps, reaction roll-ups, base64 as the contents API sends it. */
import { createHash } from 'node:crypto';

export function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString('base64').replace(/=+$/, '');
}

export function iso(d: Date | string = new Date()): string {
  return (typeof d === 'string' ? new Date(d) : d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function reactionRollup(url: string, counts: Record<string, number> = {}): Record<string, unknown> {
  const keys = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'eyes', 'rocket'];
  const out: Record<string, unknown> = { url, total_count: 0 };
  let total = 0;
  for (const k of keys) {
    out[k] = counts[k] ?? 0;
    total += counts[k] ?? 0;
  }
  out.total_count = total;
  return out;
}

export function blobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/** Base64 with a newline every 60 characters, as the contents API sends it. */
export function githubBase64(content: Buffer): string {
  const s = content.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 60) lines.push(s.slice(i, i + 60));
  return lines.length ? `${lines.join('\n')}\n` : '';
}
