import { MikroORM } from '@mikro-orm/postgresql';
import { entities } from '../entities.js';
import { ormConfig } from './mikro-orm.config.js';
import { TENANT_FILTER } from './tenant-filter.js';

describe('the tenant filter', () => {
  // Discovery only: nothing connects.
  const orm = new MikroORM(ormConfig('postgresql://nobody@127.0.0.1:1/none', entities));
  const metas = [...orm.getMetadata().getAll().values()].filter((meta) => !meta.embeddable && !meta.virtual);

  it('applies to exactly the entities with a tenantId, read from their metadata', () => {
    const filtered = metas.map((meta) => ({ entity: meta.className, filtered: TENANT_FILTER in meta.filters }));
    expect(filtered).toEqual(metas.map((meta) => ({ entity: meta.className, filtered: 'tenantId' in meta.properties })));
    expect(filtered.filter((f) => f.filtered).length).toBeGreaterThan(0);
  });

  it('refuses a query on a tenant-owned entity that names no tenant (fails closed)', async () => {
    const owned = metas.find((meta) => 'tenantId' in meta.properties)!;
    await expect(orm.em.fork().find(owned.class, {})).rejects.toThrow(`No arguments provided for filter '${TENANT_FILTER}'`);
  });
});
