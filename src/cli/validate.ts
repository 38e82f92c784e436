import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CONFIG_PATH, formatConfigError, parseConfig, parseExtends, resolveConfigText, type ConfigError, type LoadResult } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { githubConfigSource } from '../github/config-source.js';
import { EXIT, githubAccess, githubClient, REPO_PATTERN, UsageError, write, type CliIo } from './common.js';

/** Options of `stagegate validate`. */
export interface ValidateRequest {
  path?: string;
  format: 'text' | 'json';
  /** `owner/name` the file belongs to (owner of a bare `_extends: repo`); default: the git remote. */
  repo?: string;
  apiUrl?: string;
}

/** What `validate --format json` prints. */
export interface ValidateReport {
  file: string;
  valid: boolean;
  errors: (ConfigError & { text: string })[];
  /** The `_extends` file merged in, when resolved. */
  extendsFrom: string | null;
  /** What could not be checked, and why (e.g. `_extends` offline). */
  notes: string[];
  /** The stages of a valid file. */
  stages: { name: string; from: string; branch: string }[];
}

/** `owner/name` of the `origin` remote of the git repository at `cwd`, or null. */
export function originRepository(cwd: string): Promise<string | null> {
  return new Promise((res) => {
    execFile('git', ['remote', 'get-url', 'origin'], { cwd, timeout: 5000 }, (err, stdout) => {
      if (err) return res(null);
      const m = /[:/]([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/?$/.exec(String(stdout).trim());
      res(m ? `${m[1]}/${m[2]}` : null);
    });
  });
}

async function check(text: string, file: string, req: ValidateRequest, io: CliIo): Promise<{ result: LoadResult; notes: string[] }> {
  const notes: string[] = [];
  const first = parseConfig(text, file);
  const hasExtends = /^_extends\s*:/m.test(text);
  if (!hasExtends)
    return {
      result: first.ok ? { kind: 'ok', config: first.config, origin: { ref: 'local', fellBack: false } } : { kind: 'invalid', errors: first.errors, origin: { ref: 'local', fellBack: false } },
      notes,
    };
  const repo = req.repo ?? (await originRepository(io.cwd));
  const { token } = githubAccess(io.env, req.apiUrl);
  const ext = /^_extends\s*:\s*["']?([^"'#\n]+?)["']?\s*(?:#.*)?$/m.exec(text)?.[1] ?? '';
  const owner = repo?.split('/')[0];
  if (token && (owner || /\//.test(ext))) {
    const client = await githubClient(io, req.apiUrl, 'resolving _extends');
    const result = await resolveConfigText({ text, file, owner: owner ?? '', source: githubConfigSource(client), origin: { ref: 'local', fellBack: false } });
    return { result, notes };
  }
  // Offline: the file alone. Keys the org defaults may provide are not required of it.
  notes.push(
    token
      ? `_extends "${ext}" not resolved: pass --repo owner/name (no git remote "origin" names the repository); checked this file alone`
      : `_extends "${ext}" not resolved: set GITHUB_TOKEN to merge it in; checked this file alone (keys the defaults may provide are not required)`,
  );
  if (first.ok) return { result: { kind: 'ok', config: first.config, origin: { ref: 'local', fellBack: false } }, notes };
  const errors = first.errors.filter((e) => e.message !== 'is required' && !e.message.startsWith('names no stage') && !(e.path === 'stages' && e.message === 'must list at least one item'));
  if (!parseExtends(ext, owner ?? 'owner')) errors.push(...first.errors.filter((e) => e.path === '_extends'));
  return errors.length ? { result: { kind: 'invalid', errors, origin: { ref: 'local', fellBack: false } }, notes } : { result: { kind: 'absent' }, notes };
}

/**
 * `stagegate validate [path]`: every problem of a configuration file at once, one per line as
 * `file:line:col: key.path: message`, or as JSON. Exit 0 when valid, 1 when not, 2 on usage errors.
 */
export async function runValidate(req: ValidateRequest, io: CliIo): Promise<number> {
  if (req.repo !== undefined && !REPO_PATTERN.test(req.repo)) throw new UsageError(`--repo: expected owner/name, got ${JSON.stringify(req.repo)}`);
  const absolute = resolve(io.cwd, req.path ?? CONFIG_PATH);
  const file = req.path ?? CONFIG_PATH;
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new UsageError(`no such file: ${file} (${absolute}); pass the path of your stagegate.yml`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory; pass the path of your stagegate.yml`);
    throw error;
  }
  const { result, notes } = await check(text, file, req, io);
  const errors = result.kind === 'invalid' ? result.errors : [];
  const config: Config | null = result.kind === 'ok' ? result.config : null;
  const report: ValidateReport = {
    file,
    valid: errors.length === 0,
    errors: errors.map((e) => ({ ...e, text: formatConfigError(e) })),
    extendsFrom: result.kind === 'absent' ? null : (result.origin.extendsFrom ?? null),
    notes,
    stages: (config?.stages ?? []).map((s) => ({ name: s.name, from: s.from, branch: s.branch })),
  };
  if (req.format === 'json') {
    await write(io.stdout, `${JSON.stringify(report, null, 2)}\n`);
  } else {
    for (const e of report.errors) await write(io.stdout, `${e.text}\n`);
    for (const n of notes) io.stderr.write(`note: ${n}\n`);
    if (!report.valid) await write(io.stdout, `✗ ${errors.length} problem${errors.length === 1 ? '' : 's'} in ${file}\n`);
    else {
      const stages = report.stages.map((s) => `${s.name} (${s.from} → ${s.branch})`).join(', ');
      await write(
        io.stdout,
        `✓ ${file} is valid${report.extendsFrom ? ` (with ${report.extendsFrom})` : ''}${stages ? `: ${report.stages.length} stage${report.stages.length === 1 ? '' : 's'}, ${stages}` : ''}\n`,
      );
    }
  }
  return report.valid ? EXIT.ok : EXIT.failure;
}
