import { createHmac, hkdfSync } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/config.js';

/**
 * The key the database checks credential calls against (`credentials_require_seal`), derived
 * from the application's secret. The database keeps a copy only its credential functions can
 * read, installed by the owner at set-up: SQL run as the API's role (an injection) cannot seal a
 * call, so it cannot start a session, change a password, read a password hash or touch an
 * idempotency record on its own — only the application process can.
 */
export function credentialSealKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'eshtarek', 'credential-seal', 32));
}

/** The messages sealed; the database builds the same strings. Ids are canonical (lower-case) uuids. */
export const sealMessages = {
  passwordHash: (email: string) => `password_hash:${email}`,
  startSession: (userId: string, sessionId: string) => `start_session:${userId.toLowerCase()}:${sessionId.toLowerCase()}`,
  changePassword: (userId: string, sessionId: string) => `change_password:${userId.toLowerCase()}:${sessionId.toLowerCase()}`,
  idempotency: (caller: string) => `idempotency:${caller}`,
};

@Injectable()
export class CredentialSeal {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = credentialSealKey(config.JWT_SECRET);
  }

  seal(message: string): Buffer {
    return createHmac('sha256', this.key).update(message, 'utf8').digest();
  }
}
