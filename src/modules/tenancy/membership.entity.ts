import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { TenantRole } from '../../common/context/request-context.js';
import { User } from '../auth/user.entity.js';

/** A user's role in one tenant. */
@Entity({ tableName: 'memberships' })
@Unique({ properties: ['tenantId', 'user'] })
export class Membership {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => User, { fieldName: 'user_id' })
  user!: User;

  @Enum({ items: ['tenant_admin', 'tenant_user'] })
  role!: TenantRole;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
