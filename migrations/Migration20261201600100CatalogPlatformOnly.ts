import { Migration } from '@mikro-orm/migrations';

/**
 * The catalog (policies, plans, plan versions) is platform-wide and has no tenant to confine it:
 * the request role only reads it. Platform admins write it on the platform path
 * (`PlatformAccess.write`), so SQL run as the request role cannot reprice or unlimit every plan.
 */
export class Migration20261201600100CatalogPlatformOnly extends Migration {
  override up(): void {
    this.addSql(`revoke insert, update, delete on policies, plans, plan_versions from eshtarek_api;`);
  }
}
