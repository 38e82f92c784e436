/**
 * External anchors of the audit chains: the app publishes a chain's head (seq and hash) in writes it
 * makes on GitHub anyway — the `stagegate` check run's output and the payload of each deployment it
 * creates — where whoever controls the audit database cannot rewrite it. `stagegate audit verify
 * --anchors` reads them back and checks the stored chain against them (src/audit/anchor-verify.ts).
 */

/** A chain head as published: the record at `seq` of `repository`'s chain has `hash`. */
export interface AuditAnchor {
  repository: string;
  seq: number;
  hash: string;
}

const MARK = 'stagegate:audit-anchor';
const MARKER_RE = /<!-- stagegate:audit-anchor (\{[^<>]*\}) -->/g;
const HASH = /^[0-9a-f]{64}$/;

/** A valid anchor from untrusted JSON, or null. */
export function asAnchor(value: unknown, repository?: string): AuditAnchor | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  const repo = typeof v.repository === 'string' ? v.repository : repository;
  if (typeof repo !== 'string' || !Number.isInteger(v.seq) || (v.seq as number) < 1 || typeof v.hash !== 'string' || !HASH.test(v.hash)) return null;
  return { repository: repo, seq: v.seq as number, hash: v.hash };
}

/** The anchor as text for a check run's output: a line a reader understands, and the machine-readable marker. */
export function anchorText(a: AuditAnchor): string {
  return `<sub>Audit trail: ${a.repository} record ${a.seq}, hash \`${a.hash.slice(0, 12)}\` (the chain's head when this was published; \`stagegate audit verify --anchors\` checks it).</sub>\n<!-- ${MARK} ${JSON.stringify({ repository: a.repository, seq: a.seq, hash: a.hash })} -->`;
}

/** Every anchor in a text (a check run's summary or text). */
export function parseAnchorText(text: string | null | undefined): AuditAnchor[] {
  const out: AuditAnchor[] = [];
  for (const m of (text ?? '').matchAll(MARKER_RE)) {
    try {
      const a = asAnchor(JSON.parse(m[1]!));
      if (a) out.push(a);
    } catch {
      /* not an anchor */
    }
  }
  return out;
}

/** A text without its anchor (what a content fingerprint must be computed on). */
export function withoutAnchor(text: string): string {
  return text.replace(/\n*<sub>Audit trail: [^\n]*<\/sub>\n<!-- stagegate:audit-anchor \{[^<>]*\} -->/g, '');
}

/**
 * Appends the anchor to a check output's text, keeping it within GitHub's size limit: the text is
 * cut first when the anchor would not fit. Apply it after computing any content fingerprint.
 */
export function withAnchor<T extends { text?: string; summary: string }>(output: T, anchor: AuditAnchor | null, limit = 65535): T {
  if (!anchor) return output;
  const line = anchorText(anchor);
  const body = output.text ?? '';
  const room = limit - line.length - 2;
  const kept = body.length > room ? body.slice(0, Math.max(0, room)) : body;
  return { ...output, text: kept ? `${kept}\n\n${line}` : line };
}
