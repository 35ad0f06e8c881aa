import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

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
