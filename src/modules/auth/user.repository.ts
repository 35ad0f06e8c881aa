import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { User } from './user.entity.js';

/** Accounts as the API's role may read them (no password hash: see CredentialsRepository). */
@Injectable()
export class UserRepository {
  constructor(private readonly em: EntityManager) {}

  /** The signed-in account (it exists: its session was just checked). */
  get(userId: string): Promise<User> {
    return this.em.findOneOrFail(User, userId);
  }
}
