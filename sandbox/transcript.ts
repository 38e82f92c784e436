/** Renders PR conversations (comments, reviews, check runs) of the sandbox as one HTML file. */
import type { GitHubSandbox } from './github-sandbox.js';

function esc(s: string): string {
  return s
    .replace(/&(?!#?\w+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const inlineTags = /&lt;(\/?(?:details|summary|br|sub|sup|b|i|strong|em|code|kbd))((?:\s[^&]*)?)&gt;/gi;

function inline(s: string): string {
  let out = esc(s).replace(inlineTags, '<$1$2>');
  out = out.replace(/`([^`]+)`/g, (_m, c: string) => `<code>${c}</code>`);
  out = out.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
  out = out.replace(/(^|[\s(])_([^_]+)_(?=[\s).,;:]|$)/g, '$1<em>$2</em>');
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_m, t: string, u: string) => `<a href="${u}">${t}</a>`);
  return out;
}

const allowedTags = /^<\/?(details|summary|br|sub|sup|b|i|strong|em|code|kbd|p)\b[^>]*>$/i;

/** A small Markdown renderer for what bots write on PRs: headings, tables, lists, quotes, code, details. */
export function markdownToHtml(md: string): string {
  const lines = md.replace(/<!--[\s\S]*?-->/g, '').split('\n');
  const html: string[] = [];
  let i = 0;
  const cells = (l: string): string[] =>
    l
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, '|'));
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (/^```/.test(line)) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i] ?? '')) body.push(lines[i++] ?? '');
      i++;
      html.push(`<pre><code>${esc(body.join('\n'))}</code></pre>`);
      continue;
    }
    if (/^\s*$/.test(line)) {
      i++;
      continue;
    }
    if (allowedTags.test(line.trim())) {
      html.push(line.trim());
      i++;
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      const n = (h[1] ?? '#').length;
      html.push(`<h${n}>${inline(h[2] ?? '')}</h${n}>`);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line) && /^\s*\|?\s*:?-{2,}/.test(lines[i + 1] ?? '')) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i] ?? '')) rows.push(cells(lines[i++] ?? ''));
      html.push(
        `<table><thead><tr>${head.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`,
      );
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i] ?? '')) items.push((lines[i++] ?? '').replace(/^\s*([-*]|\d+\.)\s+/, ''));
      const tag = ordered ? 'ol' : 'ul';
      html.push(`<${tag}>${items.map((it) => `<li>${inline(it)}</li>`).join('')}</${tag}>`);
      continue;
    }
    if (/^>\s?/.test(line)) {
      const q: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i] ?? '')) q.push((lines[i++] ?? '').replace(/^>\s?/, ''));
      html.push(`<blockquote>${markdownToHtml(q.join('\n'))}</blockquote>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !/^\s*$/.test(lines[i] ?? '') && !/^(#{1,6}\s|```|\s*\||>\s?)/.test(lines[i] ?? '') && !allowedTags.test((lines[i] ?? '').trim())) para.push(lines[i++] ?? '');
    if (para.length === 0) {
      html.push(`<p>${inline(line)}</p>`);
      i++;
      continue;
    }
    html.push(`<p>${para.map(inline).join('<br>')}</p>`);
  }
  return html.join('\n');
}

/** One item of a PR's conversation, in time order. */
interface Item {
  at: string;
  order: number;
  html: string;
}

/** Writes every PR of `repo` as a conversation (comments, reviews and the check runs on its commits), then its Releases. */
export async function renderTranscript(sb: GitHubSandbox, repo: string, opts: { title: string; narration: string[] }): Promise<string> {
  const r = sb.repo(repo);
  const sections: string[] = [];
  for (const pr of [...r.pulls.values()].sort((a, b) => a.number - b.number)) {
    const items: Item[] = [];
    let order = 0;
    for (const c of [...r.comments.values()].filter((x) => x.issueNumber === pr.number)) {
      const edited = c.updatedAt !== c.createdAt ? ` · edited ${esc(c.updatedAt)}` : '';
      items.push({
        at: c.createdAt,
        order: order++,
        html: `<div class="item comment"><div class="meta"><b>${esc(c.user.login)}</b> commented · ${esc(c.createdAt)}${edited}</div><div class="body">${markdownToHtml(c.body)}</div></div>`,
      });
    }
    for (const rv of [...r.reviews.values()].filter((x) => x.pullNumber === pr.number && x.submittedAt)) {
      items.push({
        at: rv.submittedAt ?? '',
        order: order++,
        html: `<div class="item review ${rv.state.toLowerCase()}"><div class="meta"><b>${esc(rv.user.login)}</b> reviewed: <b>${esc(rv.state)}</b> on <code>${rv.commitId.slice(0, 7)}</code> · ${esc(rv.submittedAt ?? '')}</div>${rv.body ? `<div class="body">${markdownToHtml(rv.body)}</div>` : ''}</div>`,
      });
    }
    const shas = new Set<string>([pr.headSha]);
    for (const rv of r.reviews.values()) if (rv.pullNumber === pr.number) shas.add(rv.commitId);
    for (const run of r.checkRuns.values()) {
      if (!shas.has(run.headSha) && !(run.app.id === sb.app.id && pr.headSha === run.headSha)) continue;
      const verdict = run.status === 'completed' ? (run.conclusion ?? '') : run.status;
      items.push({
        at: run.completedAt ?? run.startedAt,
        order: order++,
        html: `<div class="item check ${esc(verdict)}"><div class="meta">check run <b>${esc(run.name)}</b> (${esc(run.app.slug)}) on <code>${run.headSha.slice(0, 7)}</code>: <b>${esc(verdict)}</b> · ${esc(run.completedAt ?? run.startedAt)}</div>${run.output.title ? `<div class="title">${esc(run.output.title)}</div>` : ''}${run.output.summary ? `<details${run.app.id === sb.app.id ? ' open' : ''}><summary>summary</summary><div class="body">${markdownToHtml(run.output.summary)}</div>${run.output.text ? `<div class="body">${markdownToHtml(run.output.text)}</div>` : ''}</details>` : ''}</div>`,
      });
    }
    for (const d of r.deployments.values()) {
      const payload = d.payload as { pull_request?: number } | null;
      if (payload?.pull_request !== pr.number) continue;
      const states = d.statuses.map((s) => `${s.state}${s.description ? ` (${esc(s.description)})` : ''}`).join(' → ');
      items.push({
        at: d.createdAt,
        order: order++,
        html: `<div class="item deployment"><div class="meta">deployment <b>#${d.id}</b> of <code>${d.sha.slice(0, 7)}</code> to <b>${esc(d.environment)}</b> by ${esc(d.creator.login)} · ${esc(d.createdAt)}</div><div class="body">${states || 'no status'}</div></div>`,
      });
    }
    items.sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order);
    const state = pr.merged ? `merged by ${esc(pr.mergedBy?.login ?? '?')}` : pr.state;
    sections.push(
      `<section><h2>#${pr.number} ${esc(pr.title)}</h2><div class="prmeta"><code>${esc(pr.baseRef)}</code> ← <code>${esc(pr.headRef)}</code> · opened by <b>${esc(pr.user.login)}</b> · ${state}</div>${items.map((x) => x.html).join('\n')}</section>`,
    );
  }
  for (const rel of [...r.releases.values()].sort((a, b) => a.id - b.id)) {
    sections.push(
      `<section class="release"><h2>Release ${esc(rel.tagName)}${rel.name ? ` — ${esc(rel.name)}` : ''}</h2><div class="prmeta">published by <b>${esc(rel.author.login)}</b> on <code>${esc(rel.targetCommitish.slice(0, 12))}</code> · ${esc(rel.publishedAt ?? rel.createdAt)}</div><div class="item"><div class="body">${markdownToHtml(rel.body ?? '')}</div></div></section>`,
    );
  }
  const css =
    'body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#1f2328}section{border-top:2px solid #d0d7de;margin-top:2em}.item{border:1px solid #d0d7de;border-radius:6px;margin:.8em 0;padding:.6em .9em}.meta{color:#59636e;font-size:.9em}.check.success{border-left:4px solid #1a7f37}.check.failure{border-left:4px solid #d1242f}.review.approved{border-left:4px solid #1a7f37}.deployment{background:#f6f8fa}table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2em .5em}pre{background:#f6f8fa;padding:.5em;overflow:auto}.narration li{margin:.2em 0}';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(opts.title)}</title><style>${css}</style></head><body><h1>${esc(opts.title)}</h1><h2>Narration</h2><ol class="narration">${opts.narration.map((n) => `<li>${esc(n)}</li>`).join('')}</ol>${sections.join('\n')}</body></html>\n`;
}
