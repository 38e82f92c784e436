import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ActionEntry } from './types.js';

/**
 * Where a step's `uses:` action runs from and its input defaults: a registered action (registerAction),
 * or a local node action (`./path`) of the checkout with its action.yml; anything else is an error.
 */
export async function resolveAction(actions: ReadonlyMap<string, ActionEntry>, uses: string, workspace: string): Promise<{ entry: string; defaults: Record<string, string> }> {
  const registered = actions.get(uses) ?? actions.get(uses.replace(/@.*$/, ''));
  let entry: string;
  let yml: string | undefined;
  if (registered) {
    entry = registered.entry;
    yml = registered.actionYml ?? [join(dirname(entry), '..', 'action.yml'), join(dirname(entry), 'action.yml')].find((p) => existsSync(p));
  } else if (uses.startsWith('./')) {
    const dir = resolve(workspace, uses);
    yml = [join(dir, 'action.yml'), join(dir, 'action.yaml')].find((p) => existsSync(p));
    if (!yml) throw new Error(`local action ${uses} has no action.yml`);
    const meta = parseYaml(await readFile(yml, 'utf8')) as { runs?: { using?: string; main?: string } };
    if (!meta.runs?.main || !/^node\d+$/.test(meta.runs.using ?? '')) throw new Error(`local action ${uses} is not a node action`);
    entry = join(dir, meta.runs.main);
  } else throw new Error(`action ${uses} is not available in the sandbox (register it with registerAction)`);
  const defaults: Record<string, string> = {};
  if (yml && existsSync(yml)) {
    const meta = parseYaml(await readFile(yml, 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
    for (const [k, v] of Object.entries(meta.inputs ?? {})) if (v?.default !== undefined) defaults[k] = String(v.default);
  }
  return { entry, defaults };
}
