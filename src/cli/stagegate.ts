import { parseArgs } from 'node:util';
import { openAuditStore } from '../audit/open.js';
import type { AuditDatabase } from '../audit/types.js';
import { VERIFY_EXIT } from '../audit/verify.js';
import { configJsonSchema } from '../config/json-schema.js';
import { collectAnchors } from './anchors.js';
import { exportRequest, runExport, runVerify, type AnchorReader } from './audit.js';
import { EXIT, githubClient, messageOf, REPO_PATTERN, UsageError, write, type CliIo } from './common.js';
import { runExplain } from './explain.js';
import { metricsRequest, runMetrics } from './metrics.js';
import { runValidate } from './validate.js';

export { EXIT, type CliIo, type GitHubFactory } from './common.js';
export { parseTimeBound } from './audit.js';

const USAGE = `Usage:
  stagegate validate [path] [--format text|json] [--repo owner/name] [--api-url URL]
  stagegate schema
  stagegate explain --repo owner/name --pr NUMBER [--format text|json] [--app SLUG] [--api-url URL] [store]
  stagegate audit verify [--repo owner/name ...] [--json] [--anchors [--app SLUG] [--api-url URL]] [store]
  stagegate audit export (--repo owner/name ... | --all) --format csv|json|ndjson
                         [--since DATE] [--until DATE] [--stage NAME] [--allow-broken]
                         [--out FILE] [store]
  stagegate metrics --repo owner/name [--stage NAME] [--since DATE [--until DATE]] [--tz ZONE]
                    [--format table|json|csv] [store]

validate checks a configuration file (default .github/stagegate.yml) and prints every problem
as file:line:col: key.path: message. _extends is resolved through GitHub when GITHUB_TOKEN (or
GH_TOKEN) is set (API: --api-url, else $GITHUB_API_URL, else https://api.github.com); without a
token the file is checked alone, with a note. Exit 0 valid, 1 invalid, 2 usage error.

schema prints the JSON Schema of the configuration (for editors).

explain evaluates a live pull request's gate with the app's own code and prints the rule tree,
posting nothing (token: GITHUB_TOKEN or GH_TOKEN). --app is your Stagegate app's slug (default
stagegate): only its deployments and approvals are evidence. The store, when found, supplies its
protection-rule approvals. Exit 0 when the gate passes, 1 otherwise.

Store (default: the embedded database .data/stagegate.db under the working directory):
  --database-url URL   PostgreSQL (default: $DATABASE_URL)
  --data-dir DIR       directory of the embedded database (default: $STAGEGATE_DATA_DIR, else .data)

DATE is YYYY-MM-DD (UTC day) or an ISO 8601 time with a zone; --since is inclusive, --until
includes the whole day (or the exact time) given.

audit export verifies every chain it exports first and refuses a broken one (exit 3, 4 or 5,
nothing written) unless --allow-broken, which marks every row from the first broken record on
integrity=after-break (and still exits with the verify code).

audit verify --anchors also reads the chain heads the app published on GitHub (deployment payloads
and its stagegate check runs; GITHUB_TOKEN, --app is the app's slug, default stagegate) and checks
the stored chains against them.

metrics prints the four delivery metrics per stage (deployment frequency, lead time for changes,
change failure rate, time to restore) over the last 7, 30 and 90 days, or --since/--until, from the
audit trail: the same figures, from the same code, as the app's page /stagegate/. Days are days of
--tz (an IANA zone, default UTC). The definitions are in docs/health.md.

audit verify exit codes: 0 intact, 3 a record was edited, 4 records were deleted,
5 records were reordered, 6 the chain was rewritten (an anchor disagrees), 7 the newest records
were removed (an anchor is past the stored head), 8 no anchor found, 2 usage or connection error,
1 unexpected error.
`;

const OPTIONS = {
  repo: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'allow-broken': { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  stage: { type: 'string' },
  format: { type: 'string' },
  pr: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  anchors: { type: 'boolean' },
  app: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'api-url': { type: 'string' },
  tz: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flag = keyof typeof OPTIONS;
type Values = { [K in Flag]?: K extends 'repo' ? string[] : (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Each command: its words, how many positional arguments it takes, and its flags. */
const COMMANDS: Record<string, { words: string[]; maxArgs: number; flags: readonly Flag[] }> = {
  validate: { words: ['validate'], maxArgs: 1, flags: ['format', 'repo', 'api-url', 'help'] },
  schema: { words: ['schema'], maxArgs: 0, flags: ['help'] },
  explain: { words: ['explain'], maxArgs: 0, flags: ['repo', 'pr', 'format', 'app', 'api-url', 'data-dir', 'database-url', 'help'] },
  'audit verify': { words: ['audit', 'verify'], maxArgs: 0, flags: ['repo', 'json', 'anchors', 'app', 'api-url', 'data-dir', 'database-url', 'help'] },
  metrics: { words: ['metrics'], maxArgs: 0, flags: ['repo', 'stage', 'since', 'until', 'tz', 'format', 'data-dir', 'database-url', 'help'] },
  'audit export': { words: ['audit', 'export'], maxArgs: 0, flags: ['repo', 'all', 'since', 'until', 'stage', 'format', 'allow-broken', 'out', 'data-dir', 'database-url', 'help'] },
};

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], partial: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = {
    stdout: partial.stdout ?? process.stdout,
    stderr: partial.stderr ?? process.stderr,
    env: partial.env ?? process.env,
    cwd: partial.cwd ?? process.cwd(),
    ...(partial.github ? { github: partial.github } : {}),
  };
  const err = (msg: string): void => {
    io.stderr.write(`stagegate: ${msg}\n`);
  };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    err(`${messageOf(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const values = parsed.values;
  const positionals = parsed.positionals;
  if (positionals.length === 0 || positionals[0] === 'help') {
    io.stdout.write(USAGE);
    return values.help || positionals[0] === 'help' ? EXIT.ok : EXIT.usage;
  }
  const name = Object.keys(COMMANDS).find((k) => COMMANDS[k]!.words.every((w, i) => positionals[i] === w));
  const command = name ? COMMANDS[name] : undefined;
  const args = command ? positionals.slice(command.words.length) : [];
  if (!name || !command || args.length > command.maxArgs) {
    err(`unknown command ${JSON.stringify(positionals.join(' '))}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  for (const flag of Object.keys(values)) {
    if (!command.flags.includes(flag as Flag)) {
      err(`--${flag} is not an option of "${name}"\n\n${USAGE}`);
      return EXIT.usage;
    }
  }
  try {
    if (name === 'validate') {
      if (values.format !== undefined && values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format: expected text or json, got ${JSON.stringify(values.format)}`);
      return await runValidate(
        {
          format: values.format === 'json' ? 'json' : 'text',
          ...(args[0] !== undefined ? { path: args[0] } : {}),
          ...(values.repo !== undefined ? { repo: onlyOne(values.repo, '--repo') } : {}),
          ...(values['api-url'] !== undefined ? { apiUrl: values['api-url'] } : {}),
        },
        io,
      );
    }
    if (name === 'explain') {
      if (values.repo === undefined || values.pr === undefined) throw new UsageError('explain needs --repo owner/name and --pr NUMBER');
      if (values.format !== undefined && values.format !== 'text' && values.format !== 'json') throw new UsageError(`--format: expected text or json, got ${JSON.stringify(values.format)}`);
      return await runExplain(
        {
          repo: onlyOne(values.repo, '--repo'),
          pr: values.pr,
          format: values.format === 'json' ? 'json' : 'text',
          ...(values['api-url'] !== undefined ? { apiUrl: values['api-url'] } : {}),
          ...(values.app !== undefined ? { app: values.app } : {}),
          ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
          ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
        },
        io,
      );
    }
    if (name === 'schema') {
      await write(io.stdout, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return EXIT.ok;
    }
    if (name === 'metrics') {
      const request = metricsRequest(values);
      const store = await openStore(values, io);
      try {
        return await runMetrics(store, request, io);
      } finally {
        await store.close().catch(() => undefined);
      }
    }
    return await runAudit(name === 'audit verify' ? 'verify' : 'export', values, io, err);
  } catch (error) {
    if (error instanceof UsageError) {
      err(error.message);
      return EXIT.usage;
    }
    err(`${name} failed: ${messageOf(error)}`);
    return EXIT.failure;
  }
}

function onlyOne(values: string[], flag: string): string {
  if (values.length > 1) throw new UsageError(`${flag} may be given once here`);
  return values[0]!;
}

/** Opens the store the flags (or the environment) name; a store that does not exist is a usage error. */
async function openStore(values: Values, io: CliIo): Promise<AuditDatabase> {
  try {
    return await openAuditStore({
      ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
      mustExist: true,
      env: io.env,
      cwd: io.cwd,
    });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

async function runAudit(command: 'verify' | 'export', values: Values, io: CliIo, err: (msg: string) => void): Promise<number> {
  for (const repo of values.repo ?? []) if (!REPO_PATTERN.test(repo)) throw new UsageError(`--repo: expected owner/name, got ${JSON.stringify(repo)}`);
  const request = command === 'export' ? exportRequest(values) : undefined;
  const store = await openStore(values, io);
  try {
    if (command === 'verify') {
      let anchors: AnchorReader | undefined;
      if (values.anchors) {
        const client = await githubClient(io, values['api-url'], 'audit verify --anchors');
        const appSlug = values.app ?? 'stagegate';
        anchors = async (repository) => {
          const found = await collectAnchors(client, store, repository, { appSlug });
          if (!values.json) err(`read ${found.anchors.length} anchor(s) of ${repository} from GitHub (deployments and the stagegate check runs of ${found.commits} commit(s), app ${appSlug})`);
          return found.anchors;
        };
      } else if (values.app !== undefined || values['api-url'] !== undefined) throw new UsageError('--app and --api-url go with --anchors');
      return await runVerify(store, values.repo ?? [], values.json === true, io.stdout, err, anchors);
    }
    return await runExport(store, request!, io.stdout, io.cwd, err);
  } finally {
    await store.close().catch(() => undefined);
  }
}

export { VERIFY_EXIT };
