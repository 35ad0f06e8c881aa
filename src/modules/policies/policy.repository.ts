import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { afterCursor, entityPage, Page, PageQuery } from '../../common/http/pagination.js';
import type { Enforcement, MetricKind } from './metrics.rules.js';
import { Policy } from './policy.entity.js';

/** The catalog's limit policies (platform-wide: no tenant). Writes run on the platform path. */
@Injectable()
export class PolicyRepository {
  constructor(private readonly em: EntityManager) {}

  async page<T>(query: PageQuery, map: (policy: Policy) => T): Promise<Page<T>> {
    const rows = await this.em.find(Policy, afterCursor(query.cursor, 'asc'), {
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: query.limit + 1,
    });
    return entityPage(this.em, Policy, rows, query.limit, map);
  }

  find(id: string): Promise<Policy | null> {
    return this.em.findOne(Policy, id);
  }

  findMany(ids: string[]): Promise<Policy[]> {
    return ids.length ? this.em.find(Policy, { id: ids }) : Promise.resolve([]);
  }

  /** A new policy, written at once. */
  async create(policy: {
    name: string;
    metric: string;
    kind: MetricKind;
    limit: number | null;
    enforcement: Enforcement;
    warningThresholds: number[];
    now: Date;
  }): Promise<Policy> {
    const { now, ...fields } = policy;
    const created = this.em.create(Policy, { ...fields, createdAt: now, updatedAt: now });
    await this.em.flush();
    return created;
  }

  /** Writes the changes made to the loaded policies. */
  flush(): Promise<void> {
    return this.em.flush();
  }
}
