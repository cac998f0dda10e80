import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/config.schema';

/**
 * Structured JSON logs through pino (nestjs-pino): fast, one JSON object per line, and the request
 * logger is built in. Credentials are redacted by path so a key or vendor secret never reaches a log.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.secrets',
  '*.apiKey',
  '*.password',
];

@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig, serviceName: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            name: serviceName,
            level: config.LOG_LEVEL,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            // Liveness and readiness probes are polled every few seconds: not worth a line each.
            autoLogging: { ignore: (req) => ['/health', '/ready'].includes(req.url ?? '') },
          },
        }),
      ],
      exports: [LoggerModule],
    };
  }
}
