import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The lock file of the app server in the embedded store's data directory. */
export const APP_LOCK_FILE = 'app-server.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the embedded store's one app-server slot: the in-process job queue runs jobs of one
 * process only, so a second app server on the same data directory is refused with a clear
 * message. A lock left by a process that died is taken over. The CLI does not take it (it still
 * reads and exports the store while the app runs). Returns the release.
 */
export function lockDataDir(databaseFile: string, pid: number = process.pid): () => void {
  const file = join(dirname(databaseFile), APP_LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8').trim() === String(pid)) rmSync(file, { force: true });
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== pid && alive(holder)) {
        throw new Error(
          `another Stagegate app server (pid ${holder}) serves the embedded store in ${dirname(databaseFile)}: the embedded store takes one app server. ` +
            'Stop it, or set DATABASE_URL (PostgreSQL) to run several app processes.',
          { cause: err },
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not take ${file}`);
}
