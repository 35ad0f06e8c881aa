import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAdmin, TenantMember } from '../../common/auth/access.js';
import { TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { NoBody } from '../../common/http/params.js';
import { PageOf } from '../../common/http/pagination.js';
import {
  CancelDto,
  ChangePlanDto,
  ChangePreviewDto,
  ChangeResultDto,
  SubscribeDto,
  SubscriptionDto,
  SetPaymentMethodDto,
  SubscriptionHistoryQuery,
} from './dto/subscription.dto.js';
import { SubscriptionsService } from './subscriptions.service.js';

@ApiTags('subscriptions')
@Controller('v1')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get('subscription')
  @TenantMember()
  @ApiOperation({ operationId: 'getSubscription', summary: 'The live subscription with usage against its limits' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404)
  current(@TenantCaller() caller: TenantCaller) {
    return this.subscriptions.current(caller);
  }

  @Post('subscription')
  @TenantAdmin()
  @ApiOperation({
    operationId: 'subscribe',
    summary: 'Subscribe to a plan; charges the first period unless trialing or free (402 leaves nothing live)',
  })
  @ApiCreatedResponse({ type: SubscriptionDto })
  @ApiProblems(400, 402, 404, 409)
  subscribe(@TenantCaller() caller: TenantCaller, @Body() dto: SubscribeDto) {
    return this.subscriptions.subscribe(caller, dto.planId, dto.paymentMethodId);
  }

  @Post('subscription/preview')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({ operationId: 'previewSubscriptionChange', summary: 'The exact lines and total a plan change would bill now' })
  @ApiOkResponse({ type: ChangePreviewDto })
  @ApiProblems(400, 404, 409)
  preview(@TenantCaller() caller: TenantCaller, @Body() dto: ChangePlanDto) {
    return this.subscriptions.preview(caller, dto.planId, dto.timing, dto.prorationDate);
  }

  @Post('subscription/change')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({
    operationId: 'changeSubscriptionPlan',
    summary: 'Change plan now (prorated, collected in the background) or at the end of the period',
  })
  @ApiOkResponse({ type: ChangeResultDto })
  @ApiProblems(400, 404, 409)
  change(@TenantCaller() caller: TenantCaller, @Body() dto: ChangePlanDto) {
    return this.subscriptions.change(caller, dto.planId, dto.timing, dto.prorationDate);
  }

  @Post('subscription/cancel')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({
    operationId: 'cancelSubscription',
    summary: 'Cancel at the end of the period (default) or now (open invoices voided; `prorate` credits unused paid time)',
  })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 409)
  cancel(@TenantCaller() caller: TenantCaller, @Body() dto: CancelDto) {
    return this.subscriptions.cancel(caller, dto.atPeriodEnd ?? true, dto.prorate ?? false);
  }

  @Post('subscription/payment-method')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({
    operationId: 'setSubscriptionPaymentMethod',
    summary: "Choose the card this subscription's renewals and retries charge (null: the default card)",
  })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 409)
  setPaymentMethod(@TenantCaller() caller: TenantCaller, @Body() dto: SetPaymentMethodDto) {
    return this.subscriptions.setPaymentMethod(caller, dto.paymentMethodId);
  }

  @Post('subscription/resume')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({ operationId: 'resumeSubscription', summary: 'Undo a pending cancellation at period end' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiProblems(400, 404, 409)
  resume(@TenantCaller() caller: TenantCaller, @NoBody() _body: void) {
    return this.subscriptions.resume(caller);
  }

  @Get('subscriptions')
  @TenantMember()
  @ApiOperation({ operationId: 'listSubscriptions', summary: 'Every subscription the tenant had, newest first' })
  @ApiOkResponse({ type: PageOf(SubscriptionDto) })
  @ApiProblems(400)
  history(@TenantCaller() caller: TenantCaller, @Query() query: SubscriptionHistoryQuery) {
    return this.subscriptions.history(caller, query);
  }
}
