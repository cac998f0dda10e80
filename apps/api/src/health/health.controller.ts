import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiRoute, DatabaseHealthService, Public, Readiness } from '@audiencekit/server-core';

@Controller()
@Public()
export class HealthController {
  constructor(private readonly databaseHealth: DatabaseHealthService) {}

  /** Liveness: the process answers. Never touches the database, so a DB outage does not restart pods. */
  @Get('health')
  @ApiRoute({ summary: 'Liveness', tags: ['health'] })
  @HttpCode(200)
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers and every migration is applied; 503 otherwise, with the reason. */
  @Get('ready')
  @ApiRoute({ summary: 'Readiness: database up and migrations applied', tags: ['health'] })
  async ready(): Promise<Readiness> {
    const readiness = await this.databaseHealth.readiness();
    if (!readiness.ready) throw new ServiceUnavailableException({ code: 'not_ready', message: readiness.reason ?? 'not ready', ...readiness });
    return readiness;
  }
}
