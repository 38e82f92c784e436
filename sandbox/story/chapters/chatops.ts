/** Chapter 4: ChatOps — the release manager holds production for a board demo by commenting, checks the status, and lets go. */
import { firstLine, REPO } from '../gate.js';
import { expectThat, type StoryContext, type StoryStepDef } from '../step.js';

/** Posts a command as `user` on the production PR and waits for Stagegate's one reply. */
async function ask(ctx: StoryContext, user: string, body: string): Promise<string> {
  const { sb, repo, state } = ctx;
  const c = await sb.comment(REPO, state.productionPr, user, body);
  const reply = await sb.waitFor(
    () => [...repo.comments.values()].find((x) => x.user.login === `${sb.app.slug}[bot]` && x.body.includes(`<!-- stagegate:reply:${c.id} -->`)) ?? null,
    60_000,
    `the reply to ${body}`,
  );
  expectThat(
    c.reactions.some((r) => r.content === 'eyes'),
    'the command was not acknowledged with 👀',
  );
  return reply.body;
}

export const chatopsSteps: StoryStepDef[] = [
  {
    title: 'Carol holds production for the board demo with a comment: `/stagegate lock board demo --for 10m`',
    async run(ctx) {
      const body = await ask(ctx, 'carol', '/stagegate lock board demo --for 10m');
      expectThat(body.includes('Locked `production`'), `Stagegate did not lock production: ${body}`);
      ctx.note(`Stagegate replies: ${firstLine(body.split('\n').slice(2).join('\n'))}`);
    },
  },
  {
    title: '`/stagegate status` shows the lock, what runs in each stage and whether it was verified',
    async run(ctx) {
      const body = await ask(ctx, 'bob', '/stagegate status');
      expectThat(/\| `production` \| 🔒/.test(body), `status does not show production locked: ${body}`);
      for (const line of body.split('\n').filter((l) => l.startsWith('| `'))) ctx.note(line.slice(0, 160));
    },
  },
  {
    title: 'After the demo Carol lets go: `/stagegate unlock`',
    async run(ctx) {
      const body = await ask(ctx, 'carol', '/stagegate unlock');
      expectThat(body.includes('Unlocked `production`'), `Stagegate did not unlock production: ${body}`);
      ctx.note(`Stagegate replies: ${firstLine(body.split('\n').slice(2).join('\n'))}`);
    },
  },
];
