import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';
import { playStory, startStoryWorld, type World } from '../../sandbox/story.js';

// The delivery health page in a real headless Chromium (Debian's, installed by scripts/ensure-deps.sh), after the
// demo story: signed in through the sandbox's OAuth web flow, it shows what production runs (the rolled-back
// release), the pending commits, the metrics and the charts; a person without read access sees nothing of the
// repository; without sign-in the browser is sent to GitHub's authorize page. Screenshots: test-output/health-page/.

const CHROMIUM = '/usr/bin/chromium';
const REPO = 'acme/shop';
const shots = join(process.cwd(), 'test-output', 'health-page');
let world: World;
let browser: Browser;
let pendingMessage = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-deps.sh (npm test does) to install Debian's chromium`);
  await mkdir(shots, { recursive: true });
  world = await startStoryWorld();
  world.sb.createUser({ login: 'mallory', name: 'Mallory Outsider' });
  const result = await playStory(world, { outDir: shots, narrate: () => undefined });
  expect(result.steps.filter((s) => !s.ok).map((s) => `${s.title}: ${s.error ?? ''}`)).toEqual([]);
  // After the story, Alice lands a fix on master: it is pending for staging.
  pendingMessage = 'fix: round discounts to cents';
  await world.sb.push(REPO, {
    branch: 'master',
    files: { 'src/discounts.ts': 'export const discount = (t: number): number => Math.round((t > 100 ? t * 0.9 : t) * 100) / 100;\n' },
    message: pendingMessage,
    author: 'alice',
  });
  await world.sb.settled();
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}, 500_000);

afterAll(async () => {
  await browser?.close();
  await world?.stop();
}, 60_000);

/** Opens `path` in a fresh browser context and signs `login` in on the sandbox's authorize page. */
async function signedIn(login: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${world.stack.app.url}${path}`);
  expect(page.url()).toContain(`${world.sb.url}/login/oauth/authorize`);
  await page.selectOption('#login', login);
  await Promise.all([page.waitForURL(`${world.stack.app.url}${path}`), page.click('#authorize')]);
  return page;
}

const text = (page: Page, selector: string): Promise<string> => page.locator(selector).innerText();

describe('the delivery health page in Chromium, after the demo story', () => {
  it('without sign-in, the browser is sent to GitHub’s authorize page and sees none of the data', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(world.stack.app.pageUrl + 'acme/shop');
    expect(new URL(page.url()).pathname).toBe('/login/oauth/authorize');
    expect(res?.status()).toBe(200);
    const body = await page.content();
    expect(body).toContain('Authorize Stagegate');
    expect(body).not.toContain('What runs where');
    await page.screenshot({ path: join(shots, 'not-signed-in.png') });
    await context.close();
  });

  it('signed in as carol: what production runs, the pending fix, the metrics and the charts, as GitHub and the services say', async () => {
    const { sb } = world;
    const page = await signedIn('carol', '/stagegate/acme/shop');
    expect(await page.title()).toBe('acme/shop · Stagegate');
    // What Stagegate deployed in the story (not the seeded earlier releases, not the rollbacks), as the sandbox holds it.
    const ours = (env: string) =>
      sb
        .deploymentsOf(REPO)
        .filter((d) => d.environment === env && d.viaApp?.id === sb.app.id && d.description !== 'an earlier Stagegate release' && !(d.payload as { rollback_of?: number } | null)?.rollback_of);
    // A verified deployment later superseded ends `inactive`: what counts is whether it ever succeeded or failed.
    const verdicts = (env: string) => ({
      verified: ours(env).filter((d) => d.statuses.some((x) => x.state === 'success') && !d.statuses.some((x) => x.state === 'failure')).length,
      failed: ours(env).filter((d) => d.statuses.some((x) => x.state === 'failure')).length,
    });
    const prod = verdicts('production');
    expect(prod.failed).toBeGreaterThanOrEqual(1);

    const running = world.production.release().version;
    const prodRow = await text(page, '#running + table tr:has(th:text-is("production"))');
    expect(prodRow).toContain(running.slice(0, 7));
    expect(prodRow).toMatch(prod.verified > 0 ? /verified/ : /rolled back/);
    const stagingRow = await text(page, '#running + table tr:has(th:text-is("staging"))');
    expect(stagingRow).toContain(world.staging.release().version.slice(0, 7));
    expect(stagingRow).toMatch(/verified/);
    expect(await text(page, '#recent + table')).toMatch(/rolled back to/);

    // Pending: exactly what GitHub's compare says.
    const compare = (await (await fetch(`${sb.apiUrl}/repos/${REPO}/compare/staging...master`, { headers: { authorization: `token ${sb.tokenFor('carol')}` } })).json()) as {
      total_commits: number;
      commits: { commit: { message: string } }[];
    };
    expect(compare.total_commits).toBe(1);
    expect(await text(page, 'h3[data-pending="staging"]')).toBe('staging: 1 commit in master not yet in staging');
    expect(await page.locator('h3[data-pending="staging"] + ul li').first().innerText()).toContain(pendingMessage);

    // Metrics, last 7 days (the whole story): verified deployments and the change failure rate the sandbox's statuses give.
    const cell = async (stage: string, metric: string): Promise<string> => (await text(page, `table.metrics[data-stage="${stage}"] tr:has(th:text-is("${metric}")) td >> nth=0`)).trim();
    expect(await cell('staging', 'Deployment frequency')).toMatch(new RegExp(`^${verdicts('staging').verified} verified`));
    expect(await cell('production', 'Deployment frequency')).toMatch(new RegExp(`^${prod.verified} verified`));
    const rate = Math.round((prod.failed / (prod.failed + prod.verified)) * 1000) / 10;
    expect(await cell('production', 'Change failure rate')).toBe(`${rate}% (${prod.failed} of ${prod.failed + prod.verified})`);
    expect(await cell('production', 'Time to restore')).toContain(prod.verified > 0 ? `${prod.failed} restored, 0 open` : `0 restored, ${prod.failed} open`);
    expect(await page.locator('#definitions + dl dt').allInnerTexts()).toEqual(['Verified', 'Deployment frequency', 'Lead time for changes', 'Change failure rate', 'Time to restore']);

    // The charts render: eight SVGs laid out with a size, and the staging deployments chart has a bar with height.
    const charts = page.locator('figure.chart svg');
    expect(await charts.count()).toBe(8);
    for (const box of await Promise.all((await charts.all()).map((c) => c.boundingBox()))) {
      expect(box?.width ?? 0).toBeGreaterThan(100);
      expect(box?.height ?? 0).toBeGreaterThan(50);
    }
    const bars = await page.$$eval('table.metrics[data-stage="staging"] + .charts figure[data-chart="deployments"] .mark-rect path', (ps) => ps.map((p) => p.getBoundingClientRect().height));
    expect(bars.some((h) => h > 1)).toBe(true);
    await page.screenshot({ path: join(shots, 'acme-shop.png'), fullPage: true });

    // The index lists the repository.
    await page.goto(world.stack.app.pageUrl);
    expect(await page.locator('ul.repositories a').allInnerTexts()).toEqual(['acme/shop']);
    await page.context().close();
  }, 120_000);

  it('mallory, who cannot read acme/shop, sees nothing of it: not on the index, and a 404 on its page', async () => {
    const page = await signedIn('mallory', '/stagegate/');
    expect(await page.content()).not.toContain('acme/shop');
    const res = await page.goto(world.stack.app.pageUrl + 'acme/shop');
    expect(res?.status()).toBe(404);
    const body = await page.locator('main').innerText();
    expect(body).not.toMatch(/production|staging|rolled back/);
    await page.screenshot({ path: join(shots, 'no-access.png') });
    await page.context().close();
  });

  it('the index and the repository page pass axe-core’s WCAG 2 A/AA checks (labels, contrast, landmarks, table headers)', async () => {
    const page = await signedIn('carol', '/stagegate/acme/shop');
    const findings = async (): Promise<string[]> => {
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      return result.violations.map((v) => `${v.id} (${v.impact ?? 'n/a'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    };
    // The checks ran over the whole page: they include colour contrast and form labels.
    const ran = await new AxeBuilder({ page }).withRules(['color-contrast', 'label']).analyze();
    expect(ran.passes.map((r) => r.id)).toContain('color-contrast');
    expect(await findings()).toEqual([]);
    await page.goto(world.stack.app.pageUrl);
    expect(await findings()).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('made no request GitHub would refuse as invalid', () => {
    expect(world.sb.violations).toEqual([]);
  });
});
