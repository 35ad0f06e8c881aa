import { Body, Controller, Get, Header, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { AppError } from '../../common/errors/app-error.js';
import { NoStore } from '../../common/http/no-store.js';
import { NoIdempotency } from '../../common/idempotency/no-idempotency.js';
import { QUEUE_BOARD_ROUTE } from '../../jobs/queue-board.js';
import { AuthAttemptsGuard } from './auth-attempts.guard.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';
import { AuthService } from './auth.service.js';
import { LoginDto } from './dto/auth.dto.js';
import { OPS_LOGIN_ROUTE, OPS_SESSION_COOKIE, OPS_SESSION_TTL_SECONDS, OpsDashboardAuth } from './ops-dashboard-auth.js';
import { OpsSessionGuard } from './ops-session.guard.js';
import { opsLoginPage } from './ops-login-page.js';

/**
 * The ops dashboard's sign-in and sign-out (browser pages, not part of the public API): a
 * platform admin's email and password become a short server-side session held in an httpOnly,
 * SameSite=Strict cookie that Bull Board's guard checks on every request.
 */
@ApiExcludeController()
@Controller('admin')
export class OpsDashboardController {
  constructor(
    private readonly auth: AuthService,
    private readonly opsAuth: OpsDashboardAuth,
  ) {}

  @Get('login')
  @Public()
  @NoStore()
  @Header('Content-Type', 'text/html; charset=utf-8')
  loginPage(): string {
    return opsLoginPage(OPS_LOGIN_ROUTE);
  }

  /**
   * The same credential check as `POST /v1/auth/login` (per-account count before the check,
   * decoy hash for unknown emails, per-address limit), then platform admins only. A refusal is
   * the sign-in page again, with the problem's status and headers (401, 403, 429 + Retry-After).
   */
  @Post('login')
  @HttpCode(303)
  @Public()
  @UseGuards(AuthAttemptsGuard)
  @NoIdempotency()
  @NoStore()
  async login(
    @Body() dto: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | undefined> {
    try {
      const user = await this.auth.verifyCredentials(dto.email, dto.password);
      if (!user.isPlatformAdmin) throw AuthErrors.of(AuthErrorCode.PlatformAdminsOnly);
      const sessionId = await this.auth.startOpsSession(user.id, OPS_SESSION_TTL_SECONDS);
      const cookie = await this.opsAuth.signSessionCookie({ userId: user.id, sessionId });
      void reply.setCookie(OPS_SESSION_COOKIE, cookie, this.opsAuth.cookieOptions(request)).header('Location', QUEUE_BOARD_ROUTE);
      return undefined;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      void reply
        .status(error.status)
        .headers(error.headers ?? {})
        .type('text/html; charset=utf-8');
      return opsLoginPage(OPS_LOGIN_ROUTE, error.message);
    }
  }

  /** Ends the ops session (its `sessions` row is revoked) and clears the cookie; a GET so Bull Board's header link works. */
  @Get('logout')
  @Public()
  @UseGuards(OpsSessionGuard)
  @NoStore()
  logoutLink(
    @Caller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    return this.logout(caller, request, reply);
  }

  @Post('logout')
  @HttpCode(303)
  @Public()
  @UseGuards(OpsSessionGuard)
  @NoIdempotency()
  @NoStore()
  async logout(
    @Caller() caller: Caller,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    if (caller.actor) await this.auth.logout(caller);
    const { maxAge: _maxAge, ...options } = this.opsAuth.cookieOptions(request);
    void reply.clearCookie(OPS_SESSION_COOKIE, options).status(303).header('Location', OPS_LOGIN_ROUTE);
  }
}
