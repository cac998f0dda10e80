import { Body, Controller, Get, Put } from '@nestjs/common';
import { GlobalHoldoutService, globalHoldoutInputSchema } from '@audiencekit/activation-admin';
import { ApiRoute, parseInput, RequireRole } from '@audiencekit/server-core';

/** The global holdout: customers no activation ever contacts. Its salt is fixed; only the share changes. */
@Controller('holdout')
export class HoldoutController {
  constructor(private readonly holdout: GlobalHoldoutService) {}

  @ApiRoute({ summary: 'The global holdout share' })
  @Get('global')
  @RequireRole('viewer')
  get() {
    return this.holdout.get();
  }

  @ApiRoute({ summary: 'Set the global holdout share (the salt never changes)', body: globalHoldoutInputSchema })
  @Put('global')
  @RequireRole('admin')
  set(@Body() body: unknown) {
    return this.holdout.set(parseInput(globalHoldoutInputSchema, body).share);
  }
}
