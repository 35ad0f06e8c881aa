import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

const normalizeEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class RegisterDto {
  /** @example ada@example.com */
  @Transform(normalizeEmail)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  /**
   * 10–200 characters, not only spaces, not containing the email or the name, and not common or easy
   * to guess (zxcvbn score ≥ 3, e.g. `1234567890` and `password123` are refused): else 400 naming `password`.
   */
  @IsString()
  @MinLength(10)
  @MaxLength(200)
  password!: string;

  /** @example "Ada Lovelace" */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class LoginDto {
  @Transform(normalizeEmail)
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password!: string;
}

export class RefreshDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  refreshToken!: string;
}

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  currentPassword!: string;

  /** The same rules as at registration (400 naming `newPassword`). */
  @IsString()
  @MinLength(10)
  @MaxLength(200)
  newPassword!: string;
}

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  email!: string;
  name!: string;
  isPlatformAdmin!: boolean;
}

export class TokensDto {
  /** Bearer token for `Authorization`, valid for `expiresIn` seconds. */
  accessToken!: string;
  /** Opaque, single use: exchange it at /v1/auth/refresh for a new pair. */
  refreshToken!: string;
  /** Seconds until the access token expires. */
  @ApiProperty({ type: 'integer', example: 900 })
  expiresIn!: number;
}

export class AuthResultDto extends TokensDto {
  user!: UserDto;
}

export class MembershipSummaryDto {
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;
  tenantName!: string;
  @ApiProperty({ enum: ['tenant_admin', 'tenant_user'] })
  role!: 'tenant_admin' | 'tenant_user';
}

/** An open invitation addressed to the caller's email: accept or decline it at /v1/invitations/:id. */
export class PendingInvitationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;
  tenantName!: string;
  @ApiProperty({ enum: ['tenant_admin', 'tenant_user'] })
  role!: 'tenant_admin' | 'tenant_user';
  expiresAt!: string;
}

export class MeDto {
  user!: UserDto;
  memberships!: MembershipSummaryDto[];
  invitations!: PendingInvitationDto[];
}
