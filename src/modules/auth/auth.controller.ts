import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access, Public } from '../../common/auth/access.js';
import { Caller } from '../../common/auth/caller.js';
import { ApiProblems } from '../../common/http/api-problems.decorator.js';
import { NoBody } from '../../common/http/params.js';
import { NoStore } from '../../common/http/no-store.js';
import { NoIdempotency } from '../../common/idempotency/no-idempotency.js';
import { AuthAttemptsGuard } from './auth-attempts.guard.js';
import { AuthService } from './auth.service.js';
import { AuthResultDto, ChangePasswordDto, LoginDto, RefreshDto, RegisterDto, TokensDto } from './dto/auth.dto.js';

@ApiTags('auth')
@Controller('v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @NoIdempotency()
  @NoStore()
  @Public()
  @UseGuards(AuthAttemptsGuard)
  @ApiOperation({ operationId: 'register', summary: 'Create an account and sign in' })
  @ApiCreatedResponse({ type: AuthResultDto })
  @ApiProblems(400, 409, 429)
  register(@Body() dto: RegisterDto) {
    return this.auth.register(dto);
  }

  @Post('login')
  @NoIdempotency()
  @NoStore()
  @HttpCode(200)
  @Public()
  @UseGuards(AuthAttemptsGuard)
  @ApiOperation({ operationId: 'login', summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: AuthResultDto })
  @ApiProblems(400, 401, 429)
  login(@Body() dto: LoginDto) {
    return this.auth.login(dto);
  }

  @Post('refresh')
  @NoIdempotency()
  @NoStore()
  @HttpCode(200)
  @Public()
  @ApiOperation({ operationId: 'refreshTokens', summary: 'Exchange a refresh token for a new token pair (single use)' })
  @ApiOkResponse({ type: TokensDto })
  @ApiProblems(400, 401)
  refresh(@Body() dto: RefreshDto) {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @Access()
  @ApiOperation({ operationId: 'logout', summary: 'End this session: its access and refresh tokens stop working at once' })
  @ApiNoContentResponse()
  @ApiProblems(400)
  logout(@Caller() caller: Caller, @NoBody() _body: void) {
    return this.auth.logout(caller);
  }

  @Post('password')
  @HttpCode(204)
  @Access()
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change password; every other session is signed out. Wrong current passwords count against the sign-in limit',
  })
  @ApiNoContentResponse()
  @ApiProblems(400, 429)
  changePassword(@Caller() caller: Caller, @Body() dto: ChangePasswordDto) {
    return this.auth.changePassword(caller, dto);
  }
}
