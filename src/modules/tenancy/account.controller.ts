import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { NoStore } from '../../common/http/no-store.js';
import { MeDto } from '../auth/dto/auth.dto.js';
import { AccountService } from './account.service.js';

/** `GET /v1/auth/me`: served by tenancy, since the answer is mostly tenancy's (memberships, invitations). */
@ApiTags('auth')
@Controller('v1/auth')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Get('me')
  @NoStore()
  @Access()
  @ApiOperation({
    operationId: 'getMe',
    summary: 'The signed-in user, their tenant memberships and the open invitations to their email',
  })
  @ApiOkResponse({ type: MeDto })
  me(@Caller() caller: Caller) {
    return this.account.me(caller);
  }
}
