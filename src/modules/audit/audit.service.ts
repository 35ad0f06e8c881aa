import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.service.js';
import { RequestContext } from '../../common/context/request-context.js';
import { newId } from '../../database/ids.js';
import type { AuditLog } from './audit-log.entity.js';
import { AuditRepository } from './audit.repository.js';

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId?: string | null;
  before?: object | null;
  after?: object | null;
  /** Defaults to the request's tenant; `null` for platform-level actions. */
  tenantId?: string | null;
}

const SECRET_FIELDS = new Set(['password', 'passwordHash', 'tokenHash', 'secret', 'refreshToken', 'accessToken']);

function redact(value: object | null | undefined): Record<string, unknown> | null {
  if (!value) return null;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !SECRET_FIELDS.has(key)));
}

/**
 * Writes audit entries in the caller's transaction (so they commit or roll back with the change).
 * Every module records through here; an entry's tenant, actor and request come from the request
 * context, which the access guard and the job runner fill for every path.
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly log: AuditRepository,
    private readonly context: RequestContext,
    private readonly clock: Clock,
  ) {}

  record(entry: AuditEntry): void {
    this.log.add(this.row(entry));
  }

  /** Many entries in one multi-row insert, right away (for batch jobs; same transaction). */
  recordMany(entries: AuditEntry[]): Promise<void> {
    return this.log.addMany(entries.map((e) => this.row(e)));
  }

  private row(entry: AuditEntry): AuditLog {
    return {
      id: newId(),
      tenantId: entry.tenantId === undefined ? this.context.tenantIdOrNull : entry.tenantId,
      // Informative only: the database sets the actor from the session's app.user_id (a trigger).
      actorUserId: this.context.actorOrNull?.userId ?? null,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId ?? null,
      before: redact(entry.before),
      after: redact(entry.after),
      requestId: this.context.requestId,
      createdAt: this.clock.realNow(),
    };
  }
}
