import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/config.js';
import { ClsServiceManager } from 'nestjs-cls';

/** Structured JSON logs with request id, tenant and actor; credentials never reach a log line. */
export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.LOG_LEVEL,
      genReqId: (req) => String((req as { id?: string }).id ?? ''),
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.body.password',
          'req.body.currentPassword',
          'req.body.newPassword',
          'req.body.refreshToken',
          'req.body.cardNumber',
          '*.cardNumber',
          '*.password',
          '*.accessToken',
          '*.refreshToken',
        ],
        censor: '[redacted]',
      },
      customProps: () => {
        const cls = ClsServiceManager.getClsService();
        if (!cls.isActive()) return {};
        const actor = cls.get('actor') as { userId?: string } | undefined;
        const apiKey = cls.get('apiKey') as { id?: string } | undefined;
        const tenant = cls.get('tenant') as { tenantId?: string } | undefined;
        return { tenantId: tenant?.tenantId, userId: actor?.userId, apiKeyId: apiKey?.id };
      },
    },
  };
}
