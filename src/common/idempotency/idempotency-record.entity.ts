import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** A POST answered under an Idempotency-Key, kept for 24 h per caller. */
@Entity({ tableName: 'idempotency_keys' })
export class IdempotencyRecord {
  @PrimaryKey({ type: 'text' })
  caller!: string;

  @PrimaryKey({ type: 'text' })
  key!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'integer', nullable: true })
  statusCode!: number | null;

  @Property({ type: 'json', nullable: true })
  responseBody!: unknown;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
