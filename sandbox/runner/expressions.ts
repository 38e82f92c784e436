/** Workflow expressions (`${{ … }}`) the runner supports, failing closed, and the files steps write (`GITHUB_OUTPUT`). */

/** A `with:`/`env:` map with expressions replaced by `expr`. */
export function stringMap(m: Record<string, unknown> | undefined, expr: (s: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k] = expr(typeof v === 'string' ? v : JSON.stringify(v));
  return out;
}

/** Replaces `${{ … }}` expressions a deploy workflow uses; an unknown expression is an error (fail closed). */
export function substitute(
  s: string,
  c: {
    inputs: Record<string, string>;
    token: string;
    secrets: Map<string, string>;
    sha: string;
    ref: string;
    repository: string;
    actor: string;
    runId: number;
    /** The workflow's name (`github.workflow`). */
    workflow?: string;
    stepOutputs: (id: string) => Record<string, string> | undefined;
  },
): string {
  return s.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, e: string) => {
    let m: RegExpExecArray | null;
    if ((m = /^(?:inputs|github\.event\.inputs)\.([\w-]+)$/.exec(e))) return c.inputs[m[1] ?? ''] ?? '';
    if (e === 'secrets.GITHUB_TOKEN' || e === 'github.token') return c.token;
    if ((m = /^secrets\.([\w-]+)$/.exec(e))) return c.secrets.get(m[1] ?? '') ?? '';
    if (e === 'github.sha') return c.sha;
    if (e === 'github.ref') return c.ref;
    if (e === 'github.ref_name') return c.ref.replace(/^refs\/heads\//, '');
    if (e === 'github.repository') return c.repository;
    if (e === 'github.actor') return c.actor;
    if (e === 'github.run_id') return String(c.runId);
    if (e === 'github.workflow' && c.workflow !== undefined) return c.workflow;
    if (e === 'github.event_name') return 'workflow_dispatch';
    if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(e))) return c.stepOutputs(m[1] ?? '')?.[m[2] ?? ''] ?? '';
    throw new Error(`unsupported expression \${{ ${e} }}`);
  });
}

/** Parses a `GITHUB_OUTPUT`-style file (`k=v` lines and `k<<DELIM` blocks). */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const key = heredoc[1] ?? '';
      const delim = heredoc[2] ?? '';
      const body: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delim) body.push(lines[i++] ?? '');
      out[key] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
