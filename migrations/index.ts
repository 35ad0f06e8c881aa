import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261122000000Foundation } from './Migration20261122000000Foundation.js';
import { Migration20261122010000Billing } from './Migration20261122010000Billing.js';
import { Migration20261122020000Metering } from './Migration20261122020000Metering.js';
import { Migration20261201400000LeastPrivilege } from './Migration20261201400000LeastPrivilege.js';
import { Migration20261201500000TrialRemembered } from './Migration20261201500000TrialRemembered.js';
import { Migration20261201500100Invitations } from './Migration20261201500100Invitations.js';
import { Migration20261201600000MeterFirstUse } from './Migration20261201600000MeterFirstUse.js';
import { Migration20261201600100CatalogPlatformOnly } from './Migration20261201600100CatalogPlatformOnly.js';
import { Migration20261202000000MoneyOrchestration } from './Migration20261202000000MoneyOrchestration.js';
import { Migration20261202200000DurableJobs } from './Migration20261202200000DurableJobs.js';
import { Migration20261202300000ChargeIntents } from './Migration20261202300000ChargeIntents.js';
import { Migration20261202400000MeteringFunctions } from './Migration20261202400000MeteringFunctions.js';
import { Migration20261202700000PurgeByOwner } from './Migration20261202700000PurgeByOwner.js';

/** Every migration, in order. Listed explicitly so the same list runs from TypeScript (tests) and from dist. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261122000000Foundation', class: Migration20261122000000Foundation },
  { name: 'Migration20261122010000Billing', class: Migration20261122010000Billing },
  { name: 'Migration20261122020000Metering', class: Migration20261122020000Metering },
  { name: 'Migration20261201400000LeastPrivilege', class: Migration20261201400000LeastPrivilege },
  { name: 'Migration20261201500000TrialRemembered', class: Migration20261201500000TrialRemembered },
  { name: 'Migration20261201500100Invitations', class: Migration20261201500100Invitations },
  { name: 'Migration20261201600000MeterFirstUse', class: Migration20261201600000MeterFirstUse },
  { name: 'Migration20261201600100CatalogPlatformOnly', class: Migration20261201600100CatalogPlatformOnly },
  { name: 'Migration20261202000000MoneyOrchestration', class: Migration20261202000000MoneyOrchestration },
  { name: 'Migration20261202200000DurableJobs', class: Migration20261202200000DurableJobs },
  { name: 'Migration20261202300000ChargeIntents', class: Migration20261202300000ChargeIntents },
  { name: 'Migration20261202400000MeteringFunctions', class: Migration20261202400000MeteringFunctions },
  { name: 'Migration20261202700000PurgeByOwner', class: Migration20261202700000PurgeByOwner },
];
