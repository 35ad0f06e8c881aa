import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { TenantId } from '../../common/auth/caller.js';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import { prepared, PreparedStatements } from '../../database/prepared.js';
import type { ApiKeyMode } from './api-key-secret.rules.js';
import { ApiKey } from './api-key.entity.js';

const LOOKUP = prepared('api_key_authenticate', 'select key_id, key_tenant, key_mode from api_key_authenticate($1, $2)');

/** A tenant's API keys (their hashes; the secret itself is never stored). */
@Injectable()
export class ApiKeyRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly sql: PreparedStatements,
  ) {}

  /**
   * The live key with this prefix and hash, before any tenant is known: through the narrow
   * `api_key_authenticate` function, on a prepared statement outside any transaction.
   */
  async authenticate(prefix: string, hash: Buffer): Promise<{ id: string; tenantId: string; mode: ApiKeyMode } | null> {
    const [row] = await this.sql.rows<{ key_id: string; key_tenant: string; key_mode: ApiKeyMode }>(LOOKUP, [prefix, hash]);
    return row ? { id: row.key_id, tenantId: row.key_tenant, mode: row.key_mode } : null;
  }

  /** A new key, written at once (its id is in the answer that shows the secret). */
  async create(
    tenantId: TenantId,
    key: {
      name: string;
      mode: ApiKeyMode;
      prefix: string;
      secretHash: Buffer;
      last4: string;
      createdBy: string | null;
      now: Date;
    },
  ): Promise<ApiKey> {
    const created = this.em.create(ApiKey, {
      tenantId,
      name: key.name,
      mode: key.mode,
      prefix: key.prefix,
      secretHash: key.secretHash,
      last4: key.last4,
      createdBy: key.createdBy,
      createdAt: key.now,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    });
    await this.em.flush();
    return created;
  }

  /** The tenant's keys, newest first, revoked ones included. */
  async page<T>(tenantId: TenantId, query: PageQuery, map: (key: ApiKey) => T): Promise<Page<T>> {
    const rows = await this.em.find(
      ApiKey,
      { tenantId, ...afterCursor(query.cursor, 'desc') },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
    );
    return entityPage(this.em, ApiKey, rows, query.limit, map);
  }

  find(tenantId: TenantId, id: string): Promise<ApiKey | null> {
    return this.em.findOne(ApiKey, { tenantId, id });
  }

  /** Writes the changes made to the loaded keys. */
  flush(): Promise<void> {
    return this.em.flush();
  }
}
