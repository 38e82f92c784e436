/** GitHub's limit on issue comment bodies and check run summaries/texts, in characters. */
export const GITHUB_TEXT_LIMIT = 65535;

/**
 * Fits markdown within `limit` characters: cuts at the last line break that leaves room for the
 * note, and appends the note (which says what was left out). Text already within the limit is
 * returned unchanged.
 */
export function truncateMarkdown(text: string, limit: number = GITHUB_TEXT_LIMIT, note = "_Truncated to fit GitHub's size limit; the full record is in the audit trail._"): string {
  if (text.length <= limit) return text;
  const tail = `\n\n${note}`;
  const room = Math.max(0, limit - tail.length);
  const cut = text.lastIndexOf('\n', room);
  const head = text.slice(0, cut > room / 2 ? cut : room);
  return `${head}${tail}`.slice(0, limit);
}
