/** The index of repositories and the small pages around sign-in (signed out, not found, sign-in failed). */
import { documentOf, esc, link } from './html.js';
import type { IndexView, Viewer } from './view.js';

/** The repositories the signed-in person can read (where the app is installed). */
export function renderIndexPage(v: IndexView): string {
  const items = v.repositories.map((r) => `<li>${link(`/stagegate/${r.fullName}`, r.fullName)} <span>(${esc(r.permission)})</span></li>`).join('');
  const body = v.repositories.length ? `<ul class="repositories">${items}</ul>` : '<p>You cannot read any repository where Stagegate is installed.</p>';
  return documentOf('Repositories', v.viewer, `<h1>Repositories</h1>${body}`);
}

/** What answers for a repository that does not exist, is not installed, or the person cannot read: the same page for all three. */
export function renderNotFoundPage(viewer: Viewer | null): string {
  return documentOf('Not found', viewer, `<h1>Not found</h1><p>There is no repository here that you can read. ${link('/stagegate/', 'Your repositories')}</p>`);
}

/** After signing out. */
export function renderSignedOutPage(): string {
  return documentOf('Signed out', null, `<h1>Signed out</h1><p>${link('/stagegate/auth/login', 'Sign in with GitHub')}</p>`);
}

/** Sign-in did not complete (state mismatch, a refused or expired code, GitHub unreachable). */
export function renderSignInFailedPage(reason: string): string {
  return documentOf('Sign-in failed', null, `<h1>Sign-in failed</h1><p class="error" role="alert">${esc(reason)}</p><p>${link('/stagegate/auth/login', 'Try again')}</p>`);
}

/** Something failed while building a page (the app's log says what). */
export function renderErrorPage(message: string): string {
  return documentOf('Something went wrong', null, `<h1>Something went wrong</h1><p class="error" role="alert">${esc(message)}</p>`);
}
