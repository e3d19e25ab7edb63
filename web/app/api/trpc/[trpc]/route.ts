import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { config } from '../../../../../lib/config';
import { childLogger } from '../../../../../lib/log';
import { createContext } from '../../../../server/context';
import { csrfRejection } from '../../../../server/http';
import { appRouter } from '../../../../server/root';

const log = childLogger('console');

async function handler(req: Request): Promise<Response> {
  const refused = csrfRejection(req, [new URL(config().PUBLIC_URL).origin]);
  if (refused) return Response.json({ error: { message: refused } }, { status: 403 });
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ req: r, resHeaders }) => createContext({ req: r, resHeaders }),
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') log.error({ err: error.cause ?? error, path }, 'tRPC procedure failed');
    },
  });
}

export { handler as GET, handler as POST };
