import { Entity, Enum, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { newId } from '../../database/ids.js';
import type { ApiKeyMode } from './api-key-secret.rules.js';

/** A tenant's server-to-server credential. Only the hash of the secret is kept (see api-key-secret.rules.ts). */
@Entity({ tableName: 'api_keys' })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: ['test', 'live'] })
  mode!: ApiKeyMode;

  @Property({ type: 'text' })
  prefix!: string;

  @Property({ type: 'blob', lazy: true })
  secretHash!: Buffer;

  @Property({ type: 'character', length: 4 })
  last4!: string;

  @Property({ type: 'uuid', nullable: true })
  createdBy!: string | null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Property({ type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Property({ type: 'uuid', nullable: true })
  revokedBy!: string | null;
}
