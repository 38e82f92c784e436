/**
 * Which events the app receives. GitHub delivers to an app only the events it subscribes to (the manifest's
 * `default_events`, docs.github.com "Registering a GitHub App from a manifest"); so does the sandbox, so that a
 * missing subscription fails a test instead of working only in the sandbox.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { projectRoot } from '../project-root.js';

/** The manifest the sandbox reads by default: `app.yml` at the project root. */
export function defaultAppManifest(): string {
  return join(projectRoot(), 'app.yml');
}

/** The `default_events` of an app manifest; throws naming the file, line and key when they cannot be read. */
export function manifestEvents(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the app manifest (${(err as Error).message}); pass SandboxOptions.events or appManifest`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]?.message ?? 'invalid YAML'}`);
  const node = isMap(doc.contents) ? doc.contents.get('default_events', true) : undefined;
  const line = (offset: number | undefined): number => (offset === undefined ? 1 : text.slice(0, offset).split('\n').length);
  if (node === undefined || node === null) throw new Error(`${file}: default_events is missing (the events the app subscribes to)`);
  if (!isSeq(node)) throw new Error(`${file}:${line((node as { range?: [number] }).range?.[0])}: default_events must be a list of event names`);
  return node.items.map((item, i) => {
    const v = (item as { value?: unknown }).value;
    if (typeof v !== 'string' || !/^[a-z_]+$/.test(v)) throw new Error(`${file}:${line((item as { range?: [number] }).range?.[0])}: default_events[${i}] must be an event name`);
    return v;
  });
}
