import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getQueueToken } from '@nestjs/bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Queue } from 'bullmq';
import { ALL_QUEUES } from './queues.js';

export const QUEUE_BOARD_ROUTE = '/admin/queues';

/**
 * Mounts Bull Board for every queue at /admin/queues, inside a Fastify scope whose `onRequest`
 * hook (`authorize`) admits platform admins only and audits write actions. Its header links to
 * the ops sign-out. The board shows what is in Redis: while Redis is unavailable (`available`
 * false) it answers 503 `service_unavailable` with Retry-After rather than wait on it.
 */
export async function mountQueueBoard(
  app: NestFastifyApplication,
  authorize: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>,
  available: () => boolean,
  unavailable: (request: FastifyRequest, reply: FastifyReply) => FastifyReply,
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_ROUTE);
  createBullBoard({
    queues: ALL_QUEUES.map((name) => new BullMQAdapter(app.get<Queue>(getQueueToken(name)))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Eshtarek jobs', miscLinks: [{ text: 'Sign out', url: '/admin/logout' }] } },
  });
  await app.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', authorize);
    scope.addHook('onRequest', async (request, reply) => (available() ? undefined : unavailable(request, reply)));
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: QUEUE_BOARD_ROUTE });
  });
}
