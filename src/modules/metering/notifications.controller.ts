import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantMember } from '../../common/auth/access.js';
import { TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { PageOf } from '../../common/http/pagination.js';
import { NotificationDto, NotificationQuery } from './dto/notification.dto.js';
import { NotificationsService } from './notifications.service.js';

@ApiTags('notifications')
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly notifications: NotificationsService) {}

  @Get()
  @TenantMember()
  @ApiOperation({ operationId: 'listNotifications', summary: 'Limit warnings and other notices of the tenant, newest first' })
  @ApiOkResponse({ type: PageOf(NotificationDto) })
  @ApiProblems(400)
  list(@TenantCaller() caller: TenantCaller, @Query() query: NotificationQuery) {
    return this.notifications.list(caller, query);
  }
}
