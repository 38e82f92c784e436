/** HTML helpers of the health page: escaping, the document shell with its stylesheet, small pieces. */
import type { Viewer } from './view.js';

/** Escapes text for HTML content and attribute values. */
export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A link (`href` escaped). */
export function link(href: string, text: string): string {
  return `<a href="${esc(href)}">${esc(text)}</a>`;
}

/** `2026-12-02 04:05 UTC` */
export function when(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** A `<time>` element. */
export function time(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return `<time datetime="${new Date(ms).toISOString()}">${esc(when(ms))}</time>`;
}

/** A commit's short sha, linked to it. */
export function shaLink(htmlUrl: string, sha: string | null): string {
  if (!sha) return '—';
  return `<a href="${esc(`${htmlUrl}/commit/${sha}`)}"><code>${esc(sha.slice(0, 7))}</code></a>`;
}

/** Colours meet WCAG AA contrast on white (4.5:1 or more); states also carry words, never colour alone. */
const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
body{margin:0 auto;max-width:72rem;padding:1rem 1.5rem 3rem;line-height:1.45}
header.top{display:flex;justify-content:space-between;align-items:center;gap:1rem;border-bottom:1px solid #d0d7de;padding-bottom:.5rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}h3{font-size:1rem}
a{color:#0550ae}code{font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#f6f8fa}
.state{font-weight:600;padding:0 .3rem;border-radius:.2rem}
.ok{color:#116329;background:#dafbe1}.bad{color:#82071e;background:#ffebe9}.wait{color:#6f4a00;background:#fff8c5}.none{color:#424a53;background:#eaeef2}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
figure{margin:0;border:1px solid #d0d7de;border-radius:.3rem;padding:.5rem}figcaption{font-weight:600}
figure svg{max-width:100%;height:auto}
.error{color:#82071e}
dl.defs dt{font-weight:600;margin-top:.5rem}dl.defs dd{margin-left:1rem}
button{font:inherit;padding:.2rem .6rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
`;

/** The document: title, the signed-in person with a sign-out form, the content. */
export function documentOf(title: string, viewer: Viewer | null, main: string): string {
  const who = viewer
    ? `<form method="post" action="/stagegate/auth/logout"><span>Signed in as <strong>${esc(viewer.login)}</strong></span> <input type="hidden" name="csrf" value="${esc(viewer.csrf)}"><button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)} · Stagegate</title><style>${STYLE}</style></head>
<body>
<header class="top"><a href="/stagegate/">Stagegate delivery health</a>${who}</header>
<main>
${main}
</main>
</body>
</html>
`;
}

/** A section's error (something could not be read: say so, show nothing guessed). */
export function unreadable(what: string, error: string): string {
  return `<p class="error" role="alert">${esc(what)} could not be read: ${esc(error)}</p>`;
}
