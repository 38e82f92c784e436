/**
 * `npm run demo`: plays the Stagegate story on the sandbox and exits non-zero when a step misbehaves. When it
 * behaved, it prints the delivery health page's URL and keeps everything serving until Ctrl-C; `--exit` (or
 * `CI=true`) stops right after the story instead.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { projectRoot } from './stack.js';
import { playStory, startStoryWorld, type World } from './story.js';

async function main(): Promise<number> {
  const keepServing = !process.argv.includes('--exit') && process.env.CI !== 'true';
  const outDir = process.env.STAGEGATE_DEMO_DIR ?? join(projectRoot(), '.demo');
  await mkdir(outDir, { recursive: true });
  // The app's audit trail is kept for the commands printed at the end; each run starts it afresh.
  const dataDir = join(outDir, 'data');
  await rm(dataDir, { recursive: true, force: true });
  console.log('Stagegate demo: a local GitHub stand-in (sandbox), the real app, the real Action bundle,');
  console.log('two demo services (staging, production) and a real Prometheus scraping them. No account, no network.');
  let world: World | null = null;
  try {
    world = await startStoryWorld({ appDataDir: dataDir });
    console.log(`\nsandbox ${world.sb.url} · app ${world.stack.app.url} · prometheus ${world.prom.url}`);
    console.log(`staging service ${world.staging.url} · production service ${world.production.url}`);
    const result = await playStory(world, { outDir });
    console.log('');
    if (result.violations.length) {
      console.log(`✗ ${result.violations.length} GitHub contract violation(s):`);
      for (const v of result.violations.slice(0, 20)) console.log(`  - ${v.kind} ${v.method ?? ''} ${v.path ?? v.operationId ?? ''}: ${v.errors.slice(0, 3).join('; ')}`);
    } else console.log('✓ zero GitHub contract violations (every request, response and webhook checked against GitHub’s descriptions)');
    if (result.htmlFile) console.log(`PR conversations (comments and check summaries): ${result.htmlFile}`);
    const failedSteps = result.steps.filter((s) => !s.ok);
    if (!result.ok) {
      console.log(`✗ the demo did not behave as narrated (${failedSteps.length} step(s) failed)`);
      if (failedSteps.length) {
        console.log('last webhook deliveries:');
        for (const d of world.sb.deliveries.slice(-10)) console.log(`  ${d.event}.${d.action ?? ''} → ${d.status ?? d.error ?? 'pending'} ${d.responseBody.slice(0, 200)}`);
        console.log('last app log lines:');
        console.log(world.stack.app.logs().split('\n').slice(-15).join('\n'));
      }
      return 1;
    }
    console.log(`✓ all ${result.steps.length} steps behaved as narrated`);
    printAuditCommands(dataDir);
    if (!keepServing) return 0;
    // The sandbox's authorize page offers the demo's release manager first (any sandbox user can be picked).
    world.sb.oauth.defaultLogin = 'carol';
    console.log(`\nDelivery health page: ${world.stack.app.pageUrl}acme/shop`);
    console.log('  sign in through the sandbox (as carol, a release manager; pick mallory to see what someone without access sees)');
    console.log('Serving until Ctrl-C (npm run demo -- --exit stops after the story).');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('\nstopping');
    return 0;
  } catch (err) {
    console.error(`✗ the demo could not run: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await world?.stop();
  }
}

/** What to try next: the audit trail the app recorded stays in `dataDir`. */
function printAuditCommands(dataDir: string): void {
  const rel = relative(process.cwd(), dataDir) || '.';
  const dir = rel.startsWith('..') ? dataDir : rel;
  console.log(`\nThe app's audit trail is kept in ${dir}/stagegate.db. Try:`);
  console.log(`  npx stagegate audit verify --data-dir ${dir}`);
  console.log(`  npx stagegate audit export --data-dir ${dir} --repo acme/shop --format csv`);
  console.log(`  npx stagegate audit export --data-dir ${dir} --repo acme/shop --format json --stage production`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
