import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, MaxLength, MinLength } from 'class-validator';
import type { InvitationStatus } from '../invitation.rules.js';
import { PageQuery } from '../../../common/http/pagination.js';
import type { TenantRole } from '../../../common/context/request-context.js';
import type { Tenant, TenantStatus } from '../tenant.entity.js';
import { Omittable } from '../../../common/http/optional.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
export const TENANT_ROLES: TenantRole[] = ['tenant_admin', 'tenant_user'];

export class CreateTenantDto {
  /** @example Acme Inc. */
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class UpdateTenantDto {
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;
}

export class TenantDto {
  id!: string;
  name!: string;
  slug!: string;
  @ApiProperty({ enum: ['active', 'suspended'] })
  status!: TenantStatus;
  createdAt!: string;

  static from(tenant: Tenant): TenantDto {
    return {
      id: tenant.id,
      name: tenant.name,
      slug: tenant.slug,
      status: tenant.status,
      createdAt: tenant.createdAt.toISOString(),
    };
  }
}

export class AddMemberDto {
  /** The email to invite; it need not have an account yet. */
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail()
  @MaxLength(254)
  email!: string;

  @ApiProperty({ enum: TENANT_ROLES })
  @IsIn(TENANT_ROLES)
  role!: TenantRole;
}

export class UpdateMemberDto {
  @ApiProperty({ enum: TENANT_ROLES })
  @IsIn(TENANT_ROLES)
  role!: TenantRole;
}

export class MemberDto {
  userId!: string;
  email!: string;
  name!: string;
  @ApiProperty({ enum: TENANT_ROLES })
  role!: TenantRole;
  joinedAt!: string;
}

export class AdminTenantQuery extends PageQuery {
  @ApiProperty({ enum: ['active', 'suspended'], required: false })
  @Omittable()
  @IsIn(['active', 'suspended'])
  status?: TenantStatus;
}

export class AdminTenantDto extends TenantDto {
  /** Number of members. */
  memberCount!: number;
}

const INVITATION_STATUSES: InvitationStatus[] = ['pending', 'accepted', 'declined', 'revoked'];

/** The answer to an invite: the same whether or not the email has an account, or is a member already. */
export class InviteResultDto {
  @ApiProperty({ format: 'uuid' })
  invitationId!: string;
  email!: string;
  @ApiProperty({ enum: TENANT_ROLES })
  role!: TenantRole;
  @ApiProperty({ enum: ['pending'] })
  status!: 'pending';
  expiresAt!: string;
}

export class InvitationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  email!: string;
  @ApiProperty({ enum: TENANT_ROLES })
  role!: TenantRole;
  @ApiProperty({ enum: INVITATION_STATUSES })
  status!: InvitationStatus;
  /** The tenant_admin who invited (null once that account is gone). */
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  invitedBy!: string | null;
  createdAt!: string;
  expiresAt!: string;
}

/** The membership an accepted invitation created. */
export class JoinedTenantDto {
  @ApiProperty({ format: 'uuid' })
  tenantId!: string;
  tenantName!: string;
  @ApiProperty({ enum: TENANT_ROLES })
  role!: TenantRole;
  joinedAt!: string;
}
