import { loginFromNoreply } from '../facts/noreply.js';
import type { CommitFact, CommitPerson } from '../facts/types.js';
import type { RouteData } from './client.js';

/** A commit as GitHub's compare endpoint lists it. */
export type ApiCommit = RouteData<'GET /repos/{owner}/{repo}/compare/{basehead}'>['commits'][number];

/** `Co-authored-by: Name <email>` trailers of a commit message. */
export function coAuthorTrailers(message: string): { name: string; email: string }[] {
  const out: { name: string; email: string }[] = [];
  for (const m of message.matchAll(/^\s*co-authored-by:\s*(.*?)\s*<([^>]+)>\s*$/gim)) {
    out.push({ name: m[1] ?? '', email: (m[2] ?? '').trim() });
  }
  return out;
}

/** The login of a GitHub account field (`author`, `committer`), which may be null or an empty object. */
export function loginOf(u: unknown): string | null {
  const login = (u as { login?: unknown } | null | undefined)?.login;
  return typeof login === 'string' && login ? login : null;
}

/**
 * The commits of a range as facts: GitHub's own attribution of each author and committer, and
 * co-authors mapped through the emails GitHub attributed elsewhere in the range or a noreply address.
 */
export function toCommitFacts(raw: readonly ApiCommit[]): CommitFact[] {
  const loginByEmail = new Map<string, string>();
  for (const c of raw) {
    const author = loginOf(c.author);
    const committer = loginOf(c.committer);
    if (author && c.commit.author?.email) loginByEmail.set(c.commit.author.email.toLowerCase(), author);
    if (committer && c.commit.committer?.email) loginByEmail.set(c.commit.committer.email.toLowerCase(), committer);
  }
  const mapEmail = (email: string): string | null => loginByEmail.get(email.toLowerCase()) ?? loginFromNoreply(email);
  return raw.map((c) => {
    const coAuthors: CommitPerson[] = coAuthorTrailers(c.commit.message).map((t) => ({ ...t, login: mapEmail(t.email) }));
    return {
      sha: c.sha,
      message: c.commit.message,
      author: { login: loginOf(c.author), name: c.commit.author?.name ?? '', email: c.commit.author?.email ?? '', date: c.commit.author?.date ?? '' },
      committer: { login: loginOf(c.committer), name: c.commit.committer?.name ?? '', email: c.commit.committer?.email ?? '' },
      coAuthors,
      parents: c.parents.map((p) => p.sha),
      verification: c.commit.verification ? { verified: c.commit.verification.verified, reason: c.commit.verification.reason } : null,
    };
  });
}
