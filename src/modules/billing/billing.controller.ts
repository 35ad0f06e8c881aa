import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAdmin, TenantMember } from '../../common/auth/access.js';
import { TenantCaller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { CreationRateLimit, RATE_LIMIT_HEADERS } from '../../common/throttling/creation-throttle.guard.js';
import { NoBody, uuidParam } from '../../common/http/params.js';
import { PageOf } from '../../common/http/pagination.js';
import { InvoiceDto } from '../subscriptions/dto/invoice.dto.js';
import { CreditBalanceService } from './credit-balance.service.js';
import {
  AddPaymentMethodDto,
  BillingListQuery,
  CreditBalancePageDto,
  CreditBalanceQuery,
  PaymentDto,
  PaymentMethodDto,
} from './dto/billing.dto.js';
import { InvoicesService } from './invoices.service.js';
import { PaymentMethodsService } from './payment-methods.service.js';

@ApiTags('billing')
@Controller('v1')
export class BillingController {
  constructor(
    private readonly paymentMethods: PaymentMethodsService,
    private readonly invoices: InvoicesService,
    private readonly credit: CreditBalanceService,
  ) {}

  @Get('payment-methods')
  @TenantMember()
  @ApiOperation({ operationId: 'listPaymentMethods', summary: 'Cards on file, newest (the default) first' })
  @ApiOkResponse({ type: PageOf(PaymentMethodDto) })
  @ApiProblems(400)
  listPaymentMethods(@TenantCaller() caller: TenantCaller, @Query() query: BillingListQuery) {
    return this.paymentMethods.list(caller, query);
  }

  @Post('payment-methods')
  @TenantAdmin()
  @CreationRateLimit('payment-methods')
  @ApiOperation({
    operationId: 'addPaymentMethod',
    summary: 'Add a card; it becomes the default (only brand, last4 and expiry are kept)',
  })
  @ApiCreatedResponse({ type: PaymentMethodDto, headers: RATE_LIMIT_HEADERS })
  @ApiProblems(400)
  addPaymentMethod(@TenantCaller() caller: TenantCaller, @Body() dto: AddPaymentMethodDto) {
    return this.paymentMethods.add(caller, dto);
  }

  @Delete('payment-methods/:id')
  @HttpCode(204)
  @TenantAdmin()
  @ApiOperation({ operationId: 'removePaymentMethod', summary: 'Remove a card' })
  @ApiNoContentResponse()
  @ApiProblems(400, 404)
  removePaymentMethod(@TenantCaller() caller: TenantCaller, @Param('id', uuidParam('id')) id: string) {
    return this.paymentMethods.remove(caller, id);
  }

  @Get('invoices')
  @TenantMember()
  @ApiOperation({ operationId: 'listInvoices', summary: 'Invoices, newest first' })
  @ApiOkResponse({ type: PageOf(InvoiceDto) })
  @ApiProblems(400)
  listInvoices(@TenantCaller() caller: TenantCaller, @Query() query: BillingListQuery) {
    return this.invoices.list(caller, query);
  }

  @Get('invoices/:id')
  @TenantMember()
  @ApiOperation({ operationId: 'getInvoice', summary: 'One invoice with its lines' })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems(400, 404)
  getInvoice(@TenantCaller() caller: TenantCaller, @Param('id', uuidParam('id')) id: string) {
    return this.invoices.get(caller, id);
  }

  @Post('invoices/:id/pay')
  @HttpCode(200)
  @TenantAdmin()
  @ApiOperation({
    operationId: 'payInvoice',
    summary: "Charge an open invoice now with the subscription's card (or the default card); the dunning schedule is unchanged",
  })
  @ApiOkResponse({ type: InvoiceDto })
  @ApiProblems(400, 402, 404, 409)
  pay(@TenantCaller() caller: TenantCaller, @Param('id', uuidParam('id')) id: string, @NoBody() _body: void) {
    return this.invoices.pay(caller, id);
  }

  @Get('payments')
  @TenantMember()
  @ApiOperation({ operationId: 'listPayments', summary: 'Every charge attempt with its outcome and failure code, newest first' })
  @ApiOkResponse({ type: PageOf(PaymentDto) })
  @ApiProblems(400)
  listPayments(@TenantCaller() caller: TenantCaller, @Query() query: BillingListQuery) {
    return this.invoices.payments(caller, query);
  }

  @Get('credit-balance')
  @TenantMember()
  @ApiOperation({
    operationId: 'getCreditBalance',
    summary: 'The credit balance per currency and its ledger (newest first, each entry with the balance after it)',
  })
  @ApiOkResponse({ type: CreditBalancePageDto })
  @ApiProblems(400)
  creditBalance(@TenantCaller() caller: TenantCaller, @Query() query: CreditBalanceQuery) {
    return this.credit.get(caller, query);
  }
}
