import { Body, Controller, Post } from '@nestjs/common';
import { createPlaysSchema, playsResultSchema, PlaysService } from '@audiencekit/activation-admin';
import { ApiRoute, AuthenticatedKey, CurrentKey, parseInput, RequireRole } from '@audiencekit/server-core';

/** "Plays in one step" (issue #23): the intent × value quadrants and their four plays, in one transaction. */
@Controller('plays')
export class PlaysController {
  constructor(private readonly plays: PlaysService) {}

  @ApiRoute({
    summary:
      'From an intent and a value segment: the four quadrant segments, the owned send, the capped retargeting audience, the win-back journey (draft) and the paid-media exclusion — all or nothing; 400 naming the field',
    body: createPlaysSchema,
    response: playsResultSchema,
  })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown, @CurrentKey() key?: AuthenticatedKey) {
    return this.plays.create(parseInput(createPlaysSchema, body), key?.id ?? null);
  }
}
