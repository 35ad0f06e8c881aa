import { ApiProperty } from '@nestjs/swagger';
import { PageQuery } from '../../../common/http/pagination.js';
import type { Notification } from '../notification.entity.js';

export class NotificationQuery extends PageQuery {}

export class NotificationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  /** `limit_warning`: usage of a metric reached a warning threshold of its limit. */
  @ApiProperty({ enum: ['limit_warning'] })
  kind!: 'limit_warning';
  message!: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  subscriptionId!: string | null;
  @ApiProperty({ type: String, nullable: true })
  metric!: string | null;
  /** Percent of the limit that was reached. */
  @ApiProperty({ type: 'integer', nullable: true })
  threshold!: number | null;
  /** Use when the threshold was crossed. */
  @ApiProperty({ type: 'integer', nullable: true })
  used!: number | null;
  @ApiProperty({ type: 'integer', nullable: true })
  limit!: number | null;
  /** Start of the billing period the warning belongs to. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  periodStart!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  static from(n: Notification): NotificationDto {
    return {
      id: n.id,
      kind: n.kind,
      message: n.message,
      subscriptionId: n.subscriptionId,
      metric: n.metric,
      threshold: n.threshold,
      used: n.used,
      limit: n.limit,
      periodStart: n.periodStart?.toISOString() ?? null,
      createdAt: n.createdAt.toISOString(),
    };
  }
}
