import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';

/** An account. */
@Entity({ tableName: 'users' })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'text', unique: true })
  email!: string;

  @Property({ type: 'text' })
  name!: string;

  /**
   * Never loaded: the API's role may not read it (only the `auth_*` database functions do). Mapped
   * lazy so that queries name their columns instead of `select *`, which that role is refused.
   */
  @Property({ type: 'text', hidden: true, lazy: true })
  passwordHash?: string;

  @Property({ type: 'boolean' })
  isPlatformAdmin = false;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  updatedAt!: Date;
}
