/** Small text helpers shared by rendering, messages and logs (one of each). */

/** The first seven characters of a SHA (as GitHub shows it); `?` when there is none. */
export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '?';
}

/** Text for one markdown table cell: one line, pipes escaped (never empty: a blank cell is a space). */
export function tableCell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim() || ' ';
}

/** At most `max` characters, a cut marked with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}
