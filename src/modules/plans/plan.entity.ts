import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

export type PlanStatus = 'active' | 'archived';

@Entity({ tableName: 'plans' })
export class Plan {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'text', unique: true })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  description = '';

  @Enum({ items: ['active', 'archived'] })
  status: PlanStatus = 'active';

  @Property({ type: 'integer' })
  currentVersion!: number;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
