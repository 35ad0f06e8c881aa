import { Migration } from '@mikro-orm/migrations';

const DEFINER = 'security definer set search_path = public, pg_temp';

/**
 * Issue 11: each housekeeping job purges only what its owner keeps. `credentials_purge` deleted
 * idempotency records (the request pipeline's) and sessions (auth's) in one call, which made the
 * infrastructure's maintenance job purge auth's sessions. It becomes two functions with the same
 * statements, owner and privileges: EXECUTE for the platform path (the worker) only.
 */
export class Migration20261202700000PurgeByOwner extends Migration {
  override up(): void {
    this.addSql(`
      -- Idempotency records past their expiry (the maintenance job).
      create function idempotency_purge(p_now timestamptz) returns bigint language plpgsql ${DEFINER} as $$
      declare purged bigint;
      begin
        delete from idempotency_keys k where k.expires_at <= p_now;
        get diagnostics purged = row_count;
        return purged;
      end $$;

      -- Sessions expired, or revoked before p_ended_before (auth's session purge job).
      create function sessions_purge(p_now timestamptz, p_ended_before timestamptz) returns bigint
      language plpgsql ${DEFINER} as $$
      declare purged bigint;
      begin
        delete from sessions s where s.expires_at <= p_now or s.revoked_at <= p_ended_before;
        get diagnostics purged = row_count;
        return purged;
      end $$;
    `);
    for (const fn of ['idempotency_purge(timestamptz)', 'sessions_purge(timestamptz, timestamptz)']) {
      this.addSql(`
        alter function ${fn} owner to eshtarek_credentials;
        revoke all on function ${fn} from public;
        grant execute on function ${fn} to eshtarek_platform;
      `);
    }
    this.addSql('drop function credentials_purge(timestamptz, timestamptz);');
  }
}
