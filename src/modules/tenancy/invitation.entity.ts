import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { TenantRole } from '../../common/context/request-context.js';
import type { InvitationStatus } from './invitation.rules.js';

/** An invitation of an email into a tenant; it becomes a membership when the invitee accepts. */
@Entity({ tableName: 'invitations' })
export class Invitation {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  /** Lower-cased. */
  @Property({ type: 'text' })
  email!: string;

  @Enum({ items: ['tenant_admin', 'tenant_user'] })
  role!: TenantRole;

  @Enum({ items: ['pending', 'accepted', 'declined', 'revoked'] })
  status: InvitationStatus = 'pending';

  @Property({ type: 'uuid', nullable: true })
  invitedBy!: string | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  answeredAt: Date | null = null;
}
