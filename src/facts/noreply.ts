// A user's GitHub no-reply address: `ID+login@users.noreply.github.com` (or the older `login@…`), and on
// GitHub Enterprise Server `…@users.noreply.<hostname>`. One reading, used by the rules and the GitHub adapter.
const NOREPLY = /^(?:\d+\+)?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)@users\.noreply\.[a-z0-9.-]+$/i;

/** The login a GitHub no-reply address encodes (`123+anna@users.noreply.github.com` → `anna`), else null. */
export function loginFromNoreply(email: string): string | null {
  return NOREPLY.exec(email.trim())?.[1] ?? null;
}
