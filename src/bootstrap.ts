import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { BadRequestException, INestApplication, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import fastifyCookie from '@fastify/cookie';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { AppConfig } from './config/config.js';
import { Errors, FieldError } from './common/errors/app-error.js';
import { toProblem } from './common/errors/problem-details.filter.js';
import { INPUT_LIMITS, jsonNestsDeeperThan, refuseHostileInput, tooDeepStandIn } from './common/http/input-limits.js';
import { mountQueueBoard } from './jobs/queue-board.js';
import { RedisClient } from './common/redis/redis.module.js';
import { OpsDashboardAuth } from './modules/auth/ops-dashboard-auth.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

const REQUEST_ID = /^[\w.:-]{1,128}$/;

function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({
      field,
      message: e.constraints?.whitelistValidation === message ? `${field} is not allowed` : message,
    }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Refusals by Node's HTTP parser (a malformed request, headers too large): no request exists yet. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive'],
};

function clientErrorHandler(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'The request is not valid HTTP'];
  const id = randomUUID();
  const { problem } = toProblem(Object.assign(new Error(detail), { statusCode: status }), id);
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

export function createAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestId,
    trustProxy: config.TRUST_PROXY ?? false,
    logger: false,
    clientErrorHandler,
    // The router refuses a malformed URL (400) or an over-long path parameter (414) before any
    // hook or Nest filter runs: answer those as problem details too.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const refused =
        error.statusCode === 414
          ? Errors.uriTooLong()
          : Errors.validation('The URL is not valid', [{ field: 'url', message: 'the URL is not validly percent-encoded' }]);
      const { problem } = toProblem(refused, String(request.id));
      void reply.status(problem.status).header('x-request-id', request.id).type('application/problem+json').send(problem);
    },
  });
}

const IDEMPOTENCY_KEY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header' as const,
  required: false,
  description: 'Replays of the same key and body within 24 h return the first answer; another body is 409 idempotency_key_reused',
  schema: { type: 'string' as const, maxLength: 255 },
};

const SERVICE_UNAVAILABLE_RESPONSE = {
  description:
    'PostgreSQL, or Redis where the route needs it (sign-in and registration attempt counters, the mock card provider), ' +
    'is unavailable for a moment (`service_unavailable`); nothing was changed. Retry after Retry-After seconds',
  headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' as const } } },
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
};

export function buildOpenApi(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Eshtarek API')
    .setDescription(
      'Multi-tenant subscription management. Errors are RFC 9457 problem details; money is integer minor units; ' +
        'lists are cursor-paginated. Tenant-scoped routes take the tenant from `X-Tenant-Id`. ' +
        "Each problem's `type` is `/problems/<code>`; the error catalogue (every code, status and meaning) is at " +
        '[/problems](/problems).',
    )
    .setExternalDoc('Error catalogue', '/problems')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'sk_test_… / sk_live_…',
        description: "A tenant API key: acts for the key's tenant, on the metering routes only",
      },
      'apiKey',
    )
    .addTag('auth', 'Accounts, sessions and tokens')
    .addTag('tenancy', 'Tenants and their members')
    .addTag('audit', 'Audit logs')
    .addTag('admin', 'Platform administration')
    .addTag('metering', 'Usage recording, limits and entitlements (API keys allowed)')
    .addTag('api-keys', "The tenant's API keys for server-to-server calls")
    .addTag('notifications', 'Limit warnings and other notices')
    .addTag('health', 'Liveness and readiness')
    .addTag('errors', "The error catalogue that problems' `type` URIs point at")
    .build();
  const document = SwaggerModule.createDocument(app, builder, {
    // Every route names its operationId; this fallback only makes a forgotten one unique and visible.
    operationIdFactory: (controller, method) => `${controller}_${method}`,
  });
  for (const [path, item] of Object.entries(document.paths)) {
    // Any route of the API may meet a dependency outage: documented once here for all of them.
    if (path.startsWith('/v1/')) {
      for (const operation of [item.get, item.put, item.post, item.patch, item.delete]) {
        if (operation) operation.responses = { ...operation.responses, '503': SERVICE_UNAVAILABLE_RESPONSE };
      }
    }
    // Routes marked @NoIdempotency() document the header as ignored already.
    const declared = item.post?.parameters?.some((p) => 'name' in p && p.name === IDEMPOTENCY_KEY_HEADER.name);
    if (item.post && !declared) item.post.parameters = [...(item.post.parameters ?? []), IDEMPOTENCY_KEY_HEADER];
  }
  document.components ??= {};
  document.components.schemas ??= {};
  document.components.schemas.ProblemDetails = {
    type: 'object',
    required: ['type', 'title', 'status', 'code', 'detail', 'requestId'],
    properties: {
      type: {
        type: 'string',
        format: 'uri-reference',
        description: 'The error catalogue entry of `code` (`/problems/<code>`, relative to the API)',
        example: '/problems/validation_failed',
      },
      title: { type: 'string' },
      status: { type: 'integer' },
      code: { type: 'string', example: 'validation_failed' },
      detail: { type: 'string' },
      errors: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
      requestId: { type: 'string' },
    },
  };
  return document;
}

/** Everything the HTTP process needs around the module graph; shared by main.ts, the e2e tests and the OpenAPI script. */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  app.useLogger(app.get(Logger));
  // Only the stop signals: Nest's default list includes SIGUSR2 and SIGHUP, which would stop the
  // API when an operator asks for a heap snapshot (--heapsnapshot-signal) or a log reopen.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  // Security headers. The helmet middleware is built once here: @fastify/helmet rebuilt it (and
  // re-parsed the CSP) on every request, which cost about a third of a bare route's time.
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'", "'unsafe-inline'"],
        // helmet's default would make browsers fetch Swagger UI's and Bull Board's assets over https,
        // which leaves both blank over plain http on any host but localhost; TLS is the proxy's job.
        upgradeInsecureRequests: null,
      },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) =>
    securityHeaders(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined)),
  );
  // Fastify's own JSON parser (prototype-poisoning checks kept), behind a depth count on the raw
  // text: a deeply nested 1 MB body is refused before JSON.parse spends its time on it.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const text = body.toString('utf8');
    if (jsonNestsDeeperThan(text, INPUT_LIMITS.maxDepth)) return done(null, tooDeepStandIn());
    parseJson(request as FastifyRequest, text, done);
  });
  fastify.addHook('preValidation', refuseHostileInput);
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // CORS only for the origins the operator lists (none by default: browsers keep the same-origin
  // rule). Tokens travel in headers, not cookies, so no credentials mode.
  const { CORS_ORIGINS } = app.get(AppConfig);
  if (CORS_ORIGINS.length) {
    app.enableCors({
      origin: CORS_ORIGINS,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Tenant-Id', 'X-Request-Id'],
      exposedHeaders: [
        'X-Request-Id',
        'Idempotent-Replayed',
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Location',
      ],
      maxAge: 600,
    });
  }
  // Cookies for the ops dashboard's session (Bull Board, /admin/login).
  await app.register(fastifyCookie);
  const opsAuth = app.get(OpsDashboardAuth);
  const redis = app.get(RedisClient);
  const config = app.get(AppConfig);
  await mountQueueBoard(
    app,
    (request, reply) => opsAuth.guard(request, reply),
    () => redis.ready,
    (request, reply) => {
      const retryAfter = config.OUTAGE_RETRY_AFTER_SECONDS;
      const { problem, headers } = toProblem(
        Errors.serviceUnavailable(
          `The job queues (Redis) are unavailable for a moment; retry after ${retryAfter} seconds`,
          retryAfter,
        ),
        String(request.id),
      );
      return reply.status(503).headers(headers).type('application/problem+json').send(problem);
    },
  );
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: (errors) => {
        const fields = flatten(errors).slice(0, INPUT_LIMITS.maxErrors);
        return fields.length ? Errors.validation(fields.map((f) => f.message).join('; '), fields) : new BadRequestException();
      },
    }),
  );
  SwaggerModule.setup('docs', app, () => buildOpenApi(app), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createAdapter(config), { bufferLogs: true });
  await configureApp(app);
  return app;
}
