import { ApiProperty } from '@nestjs/swagger';
import { IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import type { AuditLog } from '../audit-log.entity.js';
import { Omittable } from '../../../common/http/optional.js';

export class AuditQuery extends PageQuery {
  /** Only entries of this action, e.g. `member.added`. */
  @Omittable()
  @IsString()
  @MaxLength(100)
  action?: string;
}

export class AdminAuditQuery extends AuditQuery {
  /** Only entries of this tenant. */
  @Omittable()
  @IsUUID()
  tenantId?: string;
}

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  tenantId!: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  actorUserId!: string | null;
  /** What happened, e.g. `member.added`, `tenant.suspended`. */
  action!: string;
  targetType!: string;
  targetId!: string | null;
  before!: Record<string, unknown> | null;
  after!: Record<string, unknown> | null;
  requestId!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(log: AuditLog): AuditLogDto {
    return {
      id: log.id,
      tenantId: log.tenantId,
      actorUserId: log.actorUserId,
      action: log.action,
      targetType: log.targetType,
      targetId: log.targetId,
      before: log.before,
      after: log.after,
      requestId: log.requestId,
      createdAt: log.createdAt.toISOString(),
    };
  }
}
