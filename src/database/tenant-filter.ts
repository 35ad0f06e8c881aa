import type { Dictionary, EntityMetadata, FilterDef } from '@mikro-orm/core';

export const TENANT_FILTER = 'tenant';

/**
 * Default-on filter for every tenant-owned entity (a `tenantId` property). Its argument is set per
 * request/job from the tenant context; without it MikroORM refuses the query, so forgetting the
 * tenant fails closed. Row-level security in PostgreSQL is the second, independent wall.
 */
export const tenantFilter: FilterDef = {
  name: TENANT_FILTER,
  cond: (args: Dictionary) => ({ tenantId: args.tenantId }),
  default: true,
};

/**
 * Gives the tenant filter to each entity that has a `tenantId` property, as MikroORM discovers
 * them (`discovery.onMetadata`): no list of tenant-owned entities is kept by hand.
 */
export function filterTenantOwned(meta: EntityMetadata): void {
  if ('tenantId' in meta.properties) meta.filters = { ...meta.filters, [TENANT_FILTER]: { ...tenantFilter } };
}
