#!/usr/bin/env node
// The stagegate CLI: runs the compiled lib/src/cli/stagegate.js (build first: npm run build).
// This entry is where the CLI meets Octokit: src/ stays free of it, and gets a client through `github`.
let cli;
try {
  cli = await import('../lib/src/cli/stagegate.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('lib/src/cli/stagegate.js')) {
    process.stderr.write('stagegate: the CLI is not built; run `npm run build` first\n');
    process.exit(1);
  }
  throw error;
}

/** An Octokit client for a token and API base URL, loaded only by the commands that reach GitHub. */
async function github({ token, baseUrl }) {
  const { Octokit } = await import('@octokit/rest');
  return new Octokit({ auth: token, baseUrl, userAgent: 'stagegate-cli', log: { debug() {}, info() {}, warn() {}, error() {} } });
}

process.exitCode = await cli.main(process.argv.slice(2), { github });
