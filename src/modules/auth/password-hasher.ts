import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { AppConfig } from '../../config/config.js';

/** argon2id at OWASP parameters (memory ≥ 19 MiB, time ≥ 2, parallelism 1); both are configuration. */
@Injectable()
export class PasswordHasher {
  private readonly options: argon2.HashOptions;
  /** Verified against when the email is unknown, so both answers cost the same. */
  private decoy?: Promise<string>;

  constructor(config: AppConfig) {
    this.options = {
      type: argon2.argon2id,
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: 1,
    };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  verify(hash: string, password: string): Promise<boolean> {
    return argon2.verify(hash, password).catch(() => false);
  }

  async verifyDecoy(password: string): Promise<false> {
    this.decoy ??= this.hash('decoy-password-never-matches');
    await this.verify(await this.decoy, password);
    return false;
  }
}
