import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.service.js';
import { trustedTenantId, type TenantCaller, type TenantId } from '../../common/auth/caller.js';
import { fromMinor } from '../../common/money.js';
import { Page, PageQuery } from '../../common/http/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import { PlansService } from '../plans/plans.service.js';
import { addDays, periodBoundary } from './billing-period.rules.js';
import { ChangePreviewDto, ChangeResultDto, SubscriptionDto, Timing } from './dto/subscription.dto.js';
import { Line, periodLine, prorateChange, unusedTimeCredit } from './proration.rules.js';
import { SubscriptionBill, SubscriptionBilling } from './subscription-billing.port.js';
import { downgradeBlocked, SubscriptionErrorCode, SubscriptionErrors } from './subscriptions.errors.js';
import { Subscription } from './subscription.entity.js';
import { SubscriptionRepository } from './subscription.repository.js';
import { assertActionAllowed, InvalidTransitionError, LIVE_STATUSES, transition } from './subscription-state.rules.js';
import { SubscriptionUsage } from './subscription-usage.service.js';
import { trialDaysFor } from './trial.rules.js';
import { gaugeViolations, isUpgrade, sameInterval, usageView } from './usage-limits.rules.js';

interface PlannedChange {
  version: HeldVersion;
  timing: Timing;
  effectiveAt: Date;
  lines: Line[];
  newPeriodEnd: Date | null;
}

/** A plan version as a subscription holds it (the relation of its own entity; plans own the entity). */
type HeldVersion = Subscription['planVersion'];

type PlanRef = { id: string; code: string; name: string; version: number };

/** What the API shows of a subscription, from its entity or from the hot read's row. */
interface SubscriptionView {
  id: string;
  status: Subscription['status'];
  plan: PlanRef;
  priceAmount: bigint;
  currency: string;
  interval: HeldVersion['interval'];
  intervalCount: number;
  limits: HeldVersion['limits'];
  billingAnchor: Date;
  paymentMethodId: string | null;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  trialEnd: Date | null;
  scheduledPlan: PlanRef | null;
  cyclesBilled: number;
  cyclesOnVersion: number;
  endedAt: Date | null;
  endedReason: string | null;
  createdAt: Date;
}

const planRef = (v: HeldVersion): PlanRef => ({ id: v.plan.id, code: v.plan.code, name: v.plan.name, version: v.version });

/** The subscription lifecycle of the current tenant: subscribe, change (prorated or scheduled), cancel, resume. */
@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly subscriptions: SubscriptionRepository,
    private readonly clock: Clock,
    private readonly plans: PlansService,
    private readonly billing: SubscriptionBilling,
    private readonly usage: SubscriptionUsage,
    private readonly audit: AuditService,
  ) {}

  /** The hot read: one statement for the subscription and its plans, one for its usage; no entities. */
  async current(caller: TenantCaller): Promise<SubscriptionDto> {
    const row = await this.subscriptions.liveView(caller.tenantId);
    if (!row) throw SubscriptionErrors.of(SubscriptionErrorCode.NoLiveSubscription);
    const date = (value: string | Date) => new Date(value);
    return this.viewDto(caller.tenantId, {
      id: row.id,
      status: row.status,
      plan: row.plan,
      priceAmount: BigInt(row.price_amount),
      currency: row.currency,
      interval: row.interval,
      intervalCount: row.interval_count,
      limits: row.limits,
      billingAnchor: date(row.billing_anchor),
      paymentMethodId: row.payment_method_id,
      currentPeriodStart: date(row.current_period_start),
      currentPeriodEnd: date(row.current_period_end),
      cancelAtPeriodEnd: row.cancel_at_period_end,
      trialEnd: row.trial_end === null ? null : date(row.trial_end),
      scheduledPlan: row.scheduled_plan,
      cyclesBilled: row.cycles_billed,
      cyclesOnVersion: row.cycles_on_version,
      endedAt: row.ended_at === null ? null : date(row.ended_at),
      endedReason: row.ended_reason,
      createdAt: date(row.created_at),
    });
  }

  async history(caller: TenantCaller, query: PageQuery): Promise<Page<SubscriptionDto>> {
    const page = await this.subscriptions.history(caller.tenantId, query);
    return { data: await Promise.all(page.data.map((s) => this.toDto(s))), nextCursor: page.nextCursor };
  }

  async subscribe(caller: TenantCaller, planId: string, paymentMethodId?: string): Promise<SubscriptionDto> {
    const tenantId = caller.tenantId;
    if (await this.subscriptions.findLive(tenantId)) throw SubscriptionErrors.of(SubscriptionErrorCode.AlreadyLive);
    const version = await this.plans.purchasableVersion(planId);
    await this.assertGaugesFit(tenantId, version);
    const now = this.clock.now();
    const trialDays = trialDaysFor(version, version.trialDays > 0 && !(await this.subscriptions.claimTrial(tenantId, now)));
    const trial = trialDays > 0;
    const paid = version.priceAmount > 0n;
    // A card named here is the subscription's own (renewals charge it); otherwise it follows the default card.
    const cardId =
      paymentMethodId || (paid && !trial) ? await this.billing.resolvePaymentMethod(tenantId, paymentMethodId) : null;
    if (paid && !trial && !cardId)
      throw SubscriptionErrors.of(SubscriptionErrorCode.NoPaymentMethod, { extensions: { failureCode: 'no_payment_method' } });

    const trialEnd = trial ? addDays(now, trialDays) : null;
    const anchor = trialEnd ?? now;
    const subscription = await this.subscriptions.createLive({
      tenantId,
      plan: version.plan,
      planVersion: version,
      status: trial ? 'trialing' : 'active',
      billingAnchor: anchor,
      currentPeriodStart: now,
      currentPeriodEnd: trialEnd ?? periodBoundary(anchor, version.interval, version.intervalCount, 1),
      trialEnd,
      cyclesBilled: 0,
      cyclesOnVersion: 0,
      priceChangedAt: now,
      cancelAtPeriodEnd: false,
      scheduledPlanVersion: null,
      paymentMethodId: paymentMethodId ?? null,
      endedAt: null,
      endedReason: null,
      createdAt: now,
      updatedAt: now,
    });
    if (!subscription) throw SubscriptionErrors.of(SubscriptionErrorCode.AlreadyLive);

    if (!trial) {
      const line = periodLine(
        version.plan.name,
        version.priceAmount,
        subscription.currentPeriodStart,
        subscription.currentPeriodEnd,
      );
      const outcome = await this.billing.invoiceAndCharge(
        caller,
        {
          subscriptionId: subscription.id,
          planVersionId: version.id,
          currency: version.currency,
          period: { start: subscription.currentPeriodStart, end: subscription.currentPeriodEnd },
          lines: [line],
        },
        cardId,
      );
      if (!outcome.paid) {
        // Never started (incomplete_expired, not churn); voiding gives back any credit the invoice used.
        subscription.status = transition(subscription.status, 'initial_payment_failed');
        subscription.endedAt = now;
        subscription.endedReason = 'initial_payment_failed';
        await this.billing.voidInvoice(tenantId, outcome.invoice.id);
        await this.subscriptions.save();
        this.audit.record({
          action: 'subscription.payment_failed',
          targetType: 'subscription',
          targetId: subscription.id,
          after: { status: subscription.status, failureCode: outcome.failureCode },
        });
        throw SubscriptionErrors.of(SubscriptionErrorCode.FirstPaymentFailed, {
          detail: `The first payment failed: ${outcome.failureCode}`,
          extensions: { failureCode: outcome.failureCode ?? 'card_declined' },
        }).keepingWork();
      }
      subscription.cyclesBilled = 1;
      subscription.cyclesOnVersion = 1;
      await this.subscriptions.save();
    }
    const dto = await this.toDto(subscription);
    this.audit.record({ action: 'subscription.created', targetType: 'subscription', targetId: subscription.id, after: dto });
    return dto;
  }

  async preview(caller: TenantCaller, planId: string, timing?: Timing, prorationDate?: string): Promise<ChangePreviewDto> {
    const subscription = await this.requireLive(caller.tenantId);
    const change = await this.plan(caller.tenantId, subscription, planId, timing, prorationDate);
    const pricing = await this.billing.previewInvoice(caller.tenantId, this.changeBill(subscription, change));
    return {
      plan: planRef(change.version),
      timing: change.timing,
      effectiveAt: change.effectiveAt.toISOString(),
      currency: change.version.currency,
      lines: change.lines.map((l) => ({
        kind: l.kind,
        description: l.description,
        amount: fromMinor(l.amount),
        periodStart: l.periodStart.toISOString(),
        periodEnd: l.periodEnd.toISOString(),
        calculation: l.calculation,
      })),
      subtotalAmount: fromMinor(pricing.subtotal),
      creditAppliedAmount: fromMinor(pricing.creditApplied),
      creditAddedAmount: fromMinor(pricing.creditAdded),
      totalAmount: fromMinor(pricing.total),
      amountDue: fromMinor(pricing.total),
    };
  }

  async change(caller: TenantCaller, planId: string, timing?: Timing, prorationDate?: string): Promise<ChangeResultDto> {
    const subscription = await this.requireLive(caller.tenantId, true);
    const before = await this.toDto(subscription);
    const change = await this.plan(caller.tenantId, subscription, planId, timing, prorationDate);
    let invoice: ChangeResultDto['invoice'] = null;
    if (change.timing === 'period_end') {
      subscription.scheduledPlanVersion = change.version;
    } else {
      subscription.plan = change.version.plan;
      subscription.planVersion = change.version;
      subscription.scheduledPlanVersion = null;
      subscription.priceChangedAt = change.effectiveAt;
      // A new interval bills a full new period (the first of the new version's term); a prorated
      // remainder of the current period is not a full period, so the term starts at the next one.
      subscription.cyclesOnVersion = change.newPeriodEnd ? 1 : 0;
      if (change.newPeriodEnd) {
        subscription.billingAnchor = change.effectiveAt;
        subscription.currentPeriodStart = change.effectiveAt;
        subscription.currentPeriodEnd = change.newPeriodEnd;
        subscription.cyclesBilled += 1;
      }
      if (change.lines.length) {
        invoice = await this.billing.invoiceAndCollectLater(caller, this.changeBill(subscription, change));
      }
    }
    subscription.updatedAt = this.clock.now();
    await this.subscriptions.save();
    const after = await this.toDto(subscription);
    this.audit.record({
      action: change.timing === 'now' ? 'subscription.plan_changed' : 'subscription.change_scheduled',
      targetType: 'subscription',
      targetId: subscription.id,
      before,
      after: { ...after, invoice },
    });
    return { subscription: after, invoice };
  }

  /**
   * Cancels at the period end, or now. Ending now voids the subscription's open invoices (nothing
   * is collected after an ending) and, with `prorate`, credits the unused time of a paid period.
   */
  async cancel(caller: TenantCaller, atPeriodEnd = true, prorate = false): Promise<SubscriptionDto> {
    const tenantId = caller.tenantId;
    if (atPeriodEnd && prorate) {
      throw SubscriptionErrors.of(SubscriptionErrorCode.ProrateAtPeriodEnd, {
        errors: [
          { field: 'prorate', message: 'only with atPeriodEnd: false (a cancellation at period end leaves no unused time)' },
        ],
      });
    }
    const subscription = await this.requireLive(tenantId, true);
    const before = await this.toDto(subscription);
    this.guard(() => assertActionAllowed(subscription.status, atPeriodEnd ? 'schedule_cancel' : 'cancel_now', subscription));
    const now = this.clock.now();
    let credit: Line | null = null;
    let voided = 0;
    if (atPeriodEnd) {
      subscription.cancelAtPeriodEnd = true;
    } else {
      // Only time that was paid earns credit: not a trial, not a period whose invoice is still open.
      const paid = subscription.status === 'active' && !(await this.billing.hasOpenInvoice(tenantId, subscription.id));
      if (prorate && paid) {
        const version = subscription.planVersion;
        credit = unusedTimeCredit(
          version.plan.name,
          version.priceAmount,
          subscription.currentPeriodStart,
          subscription.currentPeriodEnd,
          now,
        );
        await this.billing.addCredit(tenantId, version.currency, -credit.amount, 'cancellation_credit');
      }
      voided = await this.billing.voidOpenInvoices(tenantId, [subscription.id]);
      subscription.status = transition(subscription.status, 'cancelled');
      subscription.endedAt = now;
      subscription.endedReason = 'cancelled';
      subscription.scheduledPlanVersion = null;
    }
    subscription.updatedAt = now;
    await this.subscriptions.save();
    const after = await this.toDto(subscription);
    this.audit.record({
      action: atPeriodEnd ? 'subscription.cancel_scheduled' : 'subscription.cancelled',
      targetType: 'subscription',
      targetId: subscription.id,
      before,
      after: atPeriodEnd
        ? after
        : {
            ...after,
            prorate,
            creditAdded: credit ? Number(-credit.amount) : 0,
            calculation: credit?.calculation,
            voidedInvoices: voided,
          },
    });
    return after;
  }

  /** Sets the card this subscription charges; null follows the tenant's default card. */
  async setPaymentMethod(caller: TenantCaller, paymentMethodId: string | null): Promise<SubscriptionDto> {
    const subscription = await this.requireLive(caller.tenantId, true);
    const before = await this.toDto(subscription);
    subscription.paymentMethodId = paymentMethodId
      ? await this.billing.resolvePaymentMethod(caller.tenantId, paymentMethodId)
      : null;
    subscription.updatedAt = this.clock.now();
    await this.subscriptions.save();
    const after = await this.toDto(subscription);
    this.audit.record({
      action: 'subscription.payment_method_changed',
      targetType: 'subscription',
      targetId: subscription.id,
      before: { paymentMethodId: before.paymentMethodId },
      after: { paymentMethodId: after.paymentMethodId },
    });
    return after;
  }

  async resume(caller: TenantCaller): Promise<SubscriptionDto> {
    const subscription = await this.requireLive(caller.tenantId, true);
    this.guard(() => assertActionAllowed(subscription.status, 'resume', subscription));
    const before = await this.toDto(subscription);
    subscription.cancelAtPeriodEnd = false;
    subscription.updatedAt = this.clock.now();
    await this.subscriptions.save();
    const after = await this.toDto(subscription);
    this.audit.record({ action: 'subscription.resumed', targetType: 'subscription', targetId: subscription.id, before, after });
    return after;
  }

  private async requireLive(tenantId: TenantId, lock = false): Promise<Subscription> {
    const subscription = await this.subscriptions.findLive(tenantId, lock);
    if (!subscription) throw SubscriptionErrors.of(SubscriptionErrorCode.NoLiveSubscription);
    return subscription;
  }

  private guard(check: () => void): void {
    try {
      check();
    } catch (error) {
      if (error instanceof InvalidTransitionError)
        throw SubscriptionErrors.of(SubscriptionErrorCode.InvalidTransition, { detail: error.message });
      throw error;
    }
  }

  /** What a change now bills: its lines, from the change to the end of the (new) period. A preview prices the same bill. */
  private changeBill(subscription: Subscription, change: PlannedChange): SubscriptionBill {
    return {
      subscriptionId: subscription.id,
      currency: change.version.currency,
      period: { start: change.effectiveAt, end: change.newPeriodEnd ?? subscription.currentPeriodEnd },
      lines: change.lines,
    };
  }

  /** Works out what a change to `planId` would do, without doing it. */
  private async plan(
    tenantId: TenantId,
    subscription: Subscription,
    planId: string,
    requested?: Timing,
    prorationDate?: string,
  ): Promise<PlannedChange> {
    this.guard(() => assertActionAllowed(subscription.status, 'change_plan', subscription));
    if (await this.billing.hasOpenInvoice(tenantId, subscription.id)) {
      // Unpaid time must not turn into credit: settle the open invoice first.
      throw SubscriptionErrors.of(SubscriptionErrorCode.UnpaidInvoice);
    }
    const version = await this.plans.purchasableVersion(planId);
    const current = subscription.planVersion;
    if (version.id === current.id) throw SubscriptionErrors.of(SubscriptionErrorCode.SamePlan);
    if (version.currency !== current.currency) throw SubscriptionErrors.of(SubscriptionErrorCode.CurrencyMismatch);
    await this.assertGaugesFit(tenantId, version);

    const timing = requested ?? (isUpgrade(current, version) ? 'now' : 'period_end');
    const now = prorationDate ? this.prorationInstant(subscription, new Date(prorationDate)) : this.clock.now();
    if (timing === 'period_end') {
      return { version, timing, effectiveAt: subscription.currentPeriodEnd, lines: [], newPeriodEnd: null };
    }
    if (subscription.status === 'trialing') {
      // Nothing has been paid yet: switch plans; the trial's end bills the new plan.
      return { version, timing, effectiveAt: now, lines: [], newPeriodEnd: null };
    }
    const newPeriodEnd = sameInterval(current, version) ? null : periodBoundary(now, version.interval, version.intervalCount, 1);
    const { lines } = prorateChange({
      oldPrice: current.priceAmount,
      newPrice: version.priceAmount,
      currency: version.currency,
      oldPlan: current.plan.name,
      newPlan: version.plan.name,
      periodStart: subscription.currentPeriodStart,
      periodEnd: subscription.currentPeriodEnd,
      at: now,
      ...(newPeriodEnd ? { newPeriodEnd } : {}),
    });
    return { version, timing, effectiveAt: now, lines, newPeriodEnd };
  }

  /**
   * A client-chosen proration instant: inside the current period, at most an hour old, not in
   * the future, and not before the last price-relevant change (subscribe, a change now; a renewal
   * starts the period), so a change cannot be re-prorated over time an earlier change already
   * billed. Cancelling, resuming and other updates do not count.
   */
  private prorationInstant(subscription: Subscription, at: Date): Date {
    const now = this.clock.now();
    const earliest = Math.max(
      subscription.currentPeriodStart.getTime(),
      subscription.priceChangedAt.getTime(),
      now.getTime() - 3600_000,
    );
    if (at.getTime() > now.getTime() || at.getTime() < earliest) {
      throw SubscriptionErrors.of(SubscriptionErrorCode.ProrationDateOutOfRange, {
        errors: [{ field: 'prorationDate', message: 'must be in the current period, at most an hour ago and not in the future' }],
      });
    }
    return at;
  }

  private async assertGaugesFit(tenantId: TenantId, version: HeldVersion): Promise<void> {
    const used = await this.usage.usedByMetric(tenantId, null, version.limits);
    const violations = gaugeViolations(version.limits, used);
    if (violations.length) throw downgradeBlocked(violations);
  }

  /** A subscription entity as the API shows it (after a change, in the change's transaction). */
  toDto(s: Subscription): Promise<SubscriptionDto> {
    const version = s.planVersion;
    // Loaded in its tenant's transaction (row-level security), so its tenant id is the caller's.
    return this.viewDto(trustedTenantId(s.tenantId), {
      ...s,
      plan: planRef(version),
      priceAmount: version.priceAmount,
      currency: version.currency,
      interval: version.interval,
      intervalCount: version.intervalCount,
      limits: version.limits,
      scheduledPlan: s.scheduledPlanVersion ? planRef(s.scheduledPlanVersion) : null,
    });
  }

  /** The one mapping to the API's shape, whether the subscription came as an entity or as the hot read's row. */
  private async viewDto(tenantId: TenantId, s: SubscriptionView): Promise<SubscriptionDto> {
    const live = (LIVE_STATUSES as readonly string[]).includes(s.status);
    const period = { id: s.id, currentPeriodStart: s.currentPeriodStart };
    const used = live ? await this.usage.usedByMetric(tenantId, period, s.limits) : new Map<string, number>();
    return {
      id: s.id,
      status: s.status,
      plan: s.plan,
      priceAmount: fromMinor(s.priceAmount),
      currency: s.currency,
      interval: s.interval,
      intervalCount: s.intervalCount,
      billingAnchor: s.billingAnchor.toISOString(),
      paymentMethodId: s.paymentMethodId,
      currentPeriodStart: s.currentPeriodStart.toISOString(),
      currentPeriodEnd: s.currentPeriodEnd.toISOString(),
      cancelAtPeriodEnd: s.cancelAtPeriodEnd,
      trialEnd: s.trialEnd?.toISOString() ?? null,
      scheduledChange: s.scheduledPlan ? { plan: s.scheduledPlan, effectiveAt: s.currentPeriodEnd.toISOString() } : null,
      cyclesBilled: s.cyclesBilled,
      cyclesOnVersion: s.cyclesOnVersion,
      usage: live
        ? s.limits.map((l) => {
            const view = usageView(l, used.get(l.metric) ?? 0, s.currentPeriodEnd);
            return { ...view, resetsAt: view.resetsAt?.toISOString() ?? null };
          })
        : [],
      endedAt: s.endedAt?.toISOString() ?? null,
      endedReason: s.endedReason,
      createdAt: s.createdAt.toISOString(),
    };
  }
}
