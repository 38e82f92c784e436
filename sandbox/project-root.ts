import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The project root (holds `package.json`, `action.yml`, `app.yml`, `lib/app/server.js` and `dist/index.js`). */
export function projectRoot(): string {
  let dir = resolve(new URL('.', import.meta.url).pathname);
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'action.yml'))) return dir;
    dir = resolve(dir, '..');
  }
  return process.cwd();
}
