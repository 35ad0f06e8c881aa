import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '../../../common/http/pagination.js';
import { API_KEY_MODES, type ApiKeyMode, maskedKey } from '../api-key-secret.rules.js';
import type { ApiKey } from '../api-key.entity.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateApiKeyDto {
  /** What the key is for. @example "Production backend" */
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  /** `test` or `live`: part of the secret (`sk_test_…` / `sk_live_…`) so that the two are never mixed up. */
  @ApiProperty({ enum: API_KEY_MODES })
  @IsIn(API_KEY_MODES)
  mode!: ApiKeyMode;
}

export class ApiKeyQuery extends PageQuery {}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  name!: string;
  @ApiProperty({ enum: API_KEY_MODES })
  mode!: ApiKeyMode;
  /** The key with its secret part hidden, e.g. `sk_live_4fHq2LmN8pXa…9QzK`. */
  maskedKey!: string;
  /** The last four characters of the key. */
  last4!: string;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  /** When the key was last used (kept to the minute). */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  lastUsedAt!: string | null;
  /** When the key was revoked; a revoked key is refused from the next request on. */
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  revokedAt!: string | null;

  static from(key: ApiKey): ApiKeyDto {
    return {
      id: key.id,
      name: key.name,
      mode: key.mode,
      maskedKey: maskedKey(key.mode, key.prefix, key.last4),
      last4: key.last4,
      createdAt: key.createdAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      revokedAt: key.revokedAt?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The whole key, shown this once and never again (only its hash is kept; creation is never replayed). */
  @ApiProperty({ example: 'sk_live_4fHq2LmN8pXa…' })
  secret!: string;
}
