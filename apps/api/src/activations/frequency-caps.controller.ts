import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  createFrequencyCapSchema,
  FrequencyCapsService,
  frequencyCapViewSchema,
  updateFrequencyCapSchema,
} from '@audiencekit/activation-admin';
import { ApiRoute, parseInput, RequireRole } from '@audiencekit/server-core';

/** Frequency caps (issue #23): at most N messages per profile on a channel in a rolling window, across all activations. */
@Controller('frequency-caps')
export class FrequencyCapsController {
  constructor(private readonly caps: FrequencyCapsService) {}

  @ApiRoute({ summary: 'List frequency caps' })
  @Get()
  @RequireRole('viewer')
  list() {
    return this.caps.list();
  }

  @ApiRoute({ summary: 'One frequency cap', response: frequencyCapViewSchema })
  @Get(':id')
  @RequireRole('viewer')
  get(@Param('id') id: string) {
    return this.caps.get(id);
  }

  @ApiRoute({
    summary: 'Create a frequency cap (enforced right before every send from the next sync run)',
    body: createFrequencyCapSchema,
    response: frequencyCapViewSchema,
  })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown) {
    return this.caps.create(parseInput(createFrequencyCapSchema, body));
  }

  @ApiRoute({ summary: 'Change a frequency cap', body: updateFrequencyCapSchema, response: frequencyCapViewSchema })
  @Patch(':id')
  @RequireRole('marketer')
  update(@Param('id') id: string, @Body() body: unknown) {
    return this.caps.update(id, parseInput(updateFrequencyCapSchema, body));
  }

  @ApiRoute({ summary: 'Delete a frequency cap', status: 204 })
  @Delete(':id')
  @HttpCode(204)
  @RequireRole('marketer')
  async remove(@Param('id') id: string): Promise<void> {
    await this.caps.remove(id);
  }
}
