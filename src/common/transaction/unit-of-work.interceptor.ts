import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defaultIfEmpty, from, lastValueFrom, Observable } from 'rxjs';
import { RequestContext } from '../context/request-context.js';
import { IdempotencyService, requestHash } from '../idempotency/idempotency.service.js';
import { TenantSession } from '../../database/tenant-session.js';
import { AuditService } from '../../modules/audit/audit.service.js';

/**
 * One transaction per request, opened after the access guard with the caller's user and tenant
 * set as RLS session variables; the Idempotency-Key of a POST is claimed in the same transaction.
 */
@Injectable()
export class UnitOfWorkInterceptor implements NestInterceptor {
  constructor(
    private readonly session: TenantSession,
    private readonly context: RequestContext,
    private readonly idempotency: IdempotencyService,
    private readonly audit: AuditService,
  ) {}

  /** A platform admin acting in a tenant they are not a member of: the crossing is recorded. */
  private auditPlatformAccess(request: FastifyRequest): void {
    const actor = this.context.actorOrNull;
    const tenant = this.context.tenantIdOrNull ? this.context.tenant : null;
    if (!actor?.isPlatformAdmin || !tenant || tenant.role !== null) return;
    this.audit.record({
      action: 'platform.tenant.access',
      targetType: 'tenant',
      targetId: tenant.tenantId,
      after: { method: request.method, path: request.url.split('?')[0] },
    });
  }

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const actor = this.context.actorOrNull;
    const key = request.method === 'POST' ? request.headers['idempotency-key'] : undefined;
    const status: number = Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) ?? HttpStatus.CREATED;

    return from(
      this.session.run({ userId: actor?.userId, tenantId: this.context.tenantIdOrNull }, async () => {
        this.auditPlatformAccess(request);
        if (typeof key !== 'string' || key === '') return lastValueFrom(next.handle().pipe(defaultIfEmpty(undefined)));
        const caller = actor ? `user:${actor.userId}:${this.context.tenantIdOrNull ?? '-'}` : `ip:${request.ip}`;
        const started = await this.idempotency.begin(caller, key, requestHash(request.method, request.url, request.body));
        if (started.replay) {
          void reply.header('Idempotent-Replayed', 'true');
          return started.body;
        }
        const result = await lastValueFrom(next.handle().pipe(defaultIfEmpty(undefined)));
        await this.idempotency.complete(caller, key, status, result);
        return result;
      }),
    );
  }
}
