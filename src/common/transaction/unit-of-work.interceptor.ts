import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaultIfEmpty, from, lastValueFrom, Observable } from 'rxjs';
import { RequestContext } from '../context/request-context.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { NO_IDEMPOTENCY_KEY } from '../idempotency/no-idempotency.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AppError } from '../errors/app-error.js';
import { toProblem } from '../errors/problem-details.filter.js';
import { SINGLE_STATEMENT_KEY } from './single-statement.js';
import { TenantAccessAudit } from './tenant-access-audit.js';

const CREDENTIAL_FIELDS = ['secret', 'accessToken', 'refreshToken'];

/**
 * A response as kept for idempotent replays. Routes that issue credentials keep no record at all
 * (`@NoIdempotency()`); this is the backstop so that no record ever holds one.
 */
function replayable(value: unknown): unknown {
  if (!value || typeof value !== 'object' || !CREDENTIAL_FIELDS.some((field) => field in value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([field]) => !CREDENTIAL_FIELDS.includes(field)));
}

/**
 * One transaction per request, opened after the access guard with the caller's user and tenant
 * set as RLS session variables (and a request's API key re-checked there); the Idempotency-Key of
 * a POST is claimed in the same transaction. `@SingleStatement()` routes run without one.
 */
@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  constructor(
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly idempotency: IdempotencyService,
    private readonly tenantAccess: TenantAccessAudit,
  ) {}

  /**
   * A platform admin acting in a tenant they are not a member of: the crossing is recorded on the
   * platform path (the request role cannot write `platform.*` entries), before the work.
   */
  private async auditPlatformAccess(request: FastifyRequest): Promise<void> {
    if (!this.crossesTenants()) return;
    await this.tenantAccess.recordTenantAccess(this.context.tenantId, {
      method: request.method,
      path: request.url.split('?')[0],
    });
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const actor = this.context.actorOrNull;
    const singleStatement = Reflect.getMetadata(SINGLE_STATEMENT_KEY, ctx.getHandler()) === true;
    if (singleStatement && !this.crossesTenants()) return next.handle();
    const noIdempotency = Reflect.getMetadata(NO_IDEMPOTENCY_KEY, ctx.getHandler()) === true;
    const key = request.method === 'POST' && !singleStatement && !noIdempotency ? request.headers['idempotency-key'] : undefined;
    const status: number = Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) ?? HttpStatus.CREATED;

    return from(this.run(request, reply, key, status, actor?.userId ?? null, next));
  }

  /** A platform admin acting in a tenant they are not a member of. */
  private crossesTenants(): boolean {
    return !!this.context.actorOrNull?.isPlatformAdmin && !!this.context.tenantIdOrNull && this.context.tenant.role === null;
  }

  private async run(
    request: FastifyRequest,
    reply: FastifyReply,
    key: unknown,
    status: number,
    userId: string | null,
    next: CallHandler,
  ): Promise<unknown> {
    const handle = () => lastValueFrom(next.handle().pipe(defaultIfEmpty(undefined)));
    const apiKey = this.context.apiKeyOrNull;
    const scope = { userId, tenantId: this.context.tenantIdOrNull, apiKey: apiKey && { id: apiKey.id, touch: apiKey.touch } };
    await this.auditPlatformAccess(request);
    const outcome = await this.session.run(scope, async () => {
      if (typeof key !== 'string' || key === '') return this.keepingWork(handle);
      const caller = userId
        ? `user:${userId}:${this.context.tenantIdOrNull ?? '-'}`
        : apiKey
          ? `tenant-api:${apiKey.tenantId}`
          : `ip:${request.ip}`;
      const started = await this.idempotency.begin(caller, key, this.idempotency.hash(request.method, request.url, request.body));
      if (started.replay) {
        void reply.header('Idempotent-Replayed', 'true');
        return { value: started.body, error: started.error };
      }
      this.context.setIdempotencyKey(key);
      const result = await this.keepingWork(handle);
      if (result.error) {
        await this.idempotency.complete(caller, key, result.error.status, toProblem(result.error, String(request.id)).problem);
      } else {
        await this.idempotency.complete(caller, key, status, replayable(result.value));
      }
      return result;
    });
    if (outcome.error) throw outcome.error;
    return outcome.value;
  }

  /** Runs the handler; an error marked `keepingWork()` is returned (so the transaction commits) and thrown afterwards. */
  private async keepingWork(handle: () => Promise<unknown>): Promise<{ value?: unknown; error?: AppError }> {
    try {
      return { value: await handle() };
    } catch (error) {
      if (error instanceof AppError && error.keepWork) return { error };
      throw error;
    }
  }
}
