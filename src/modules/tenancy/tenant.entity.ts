import { Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import { User } from '../auth/user.entity.js';
import type { TenantRole } from '../../common/context/request-context.js';

export type TenantStatus = 'active' | 'suspended';

@Entity({ tableName: 'tenants' })
export class Tenant {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text', unique: true })
  slug!: string;

  @Enum({ items: ['active', 'suspended'] })
  status: TenantStatus = 'active';

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}

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
