import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiRoute, DatabaseHealthService, Public, Readiness } from '@audiencekit/server-core';

@Controller()
@Public()
export class HealthController {
  constructor(private readonly databaseHealth: DatabaseHealthService) {}

  /**
   * Liveness: the process answers. Never touches the database, so a DB outage does not restart pods.
   * `pid` tells which API process answered when API_PROCESSES share the port.
   */
  @Get('health')
  @ApiRoute({ summary: 'Liveness (and which API process answered)', tags: ['health'] })
  @HttpCode(200)
  health(): { status: 'ok'; pid: number } {
    return { status: 'ok', pid: process.pid };
  }

  /** Readiness: the database answers and every migration is applied; 503 otherwise, with the reason. */
  @Get('ready')
  @ApiRoute({ summary: 'Readiness: database up and migrations applied', tags: ['health'] })
  async ready(): Promise<Readiness> {
    const readiness = await this.databaseHealth.readiness();
    if (!readiness.ready)
      throw new ServiceUnavailableException({ code: 'not_ready', message: readiness.reason ?? 'not ready', ...readiness });
    return readiness;
  }
}
