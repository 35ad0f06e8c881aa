import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

/** Append-only: the API role may insert and read, never update or delete (see the migration's grants). */
@Entity({ tableName: 'audit_logs' })
export class AuditLog {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** Null for platform-level actions (sign-up, platform admin work outside a tenant). */
  @Property({ type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Property({ type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  targetType!: string;

  @Property({ type: 'text', nullable: true })
  targetId!: string | null;

  @Property({ type: 'json', nullable: true })
  before!: Record<string, unknown> | null;

  @Property({ type: 'json', nullable: true })
  after!: Record<string, unknown> | null;

  @Property({ type: 'text', nullable: true })
  requestId!: string | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
