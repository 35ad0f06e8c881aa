import type { AppConfig } from './config/config.js';
import type { SeedTools } from './database/seed.js';
import { PasswordHasher } from './modules/auth/password-hasher.js';
import { slugify } from './modules/tenancy/slug.rules.js';

/** What the database's seed takes from the modules, composed here at the top (database/ imports no module). */
export function seedTools(config: AppConfig): SeedTools {
  return { hasher: new PasswordHasher(config), slugify };
}
