#!/usr/bin/env node
// The stagegate CLI: runs the compiled lib/src/cli/stagegate.js (build first: npm run build).
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
process.exitCode = await cli.main(process.argv.slice(2));
