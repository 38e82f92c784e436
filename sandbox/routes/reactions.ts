/** `reactions` REST operations (docs.github.com/rest/reactions): Reactions to issue comments. */
import { nodeId } from '../json/common.js';
import { addReaction } from '../world/comments.js';
import { userJson } from '../json/users.js';
import { actorAccount, repoOf } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'reactions/create-for-issue-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    const me = actorAccount(sb, ctx);
    const { reaction, created } = addReaction(sb, c, me, String(ctx.body.content));
    return {
      status: created ? 201 : 200,
      body: { id: reaction.id, node_id: nodeId('Reaction', reaction.id), user: userJson(sb.bases, reaction.user), content: reaction.content, created_at: reaction.createdAt },
    };
  },
};
