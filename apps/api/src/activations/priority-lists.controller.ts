import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  createPriorityListSchema,
  priorityListMembershipSchema,
  PriorityListsService,
  priorityListViewSchema,
  updatePriorityListSchema,
} from '@audiencekit/activation-admin';
import { ApiRoute, parseInput, RequireRole } from '@audiencekit/server-core';

/**
 * Priority lists (issue #23): ordered segments in which each profile belongs only to the highest
 * entry it qualifies for. `:ref` is the list's id or key.
 */
@Controller('priority-lists')
export class PriorityListsController {
  constructor(private readonly lists: PriorityListsService) {}

  @ApiRoute({ summary: 'List priority lists with their entries' })
  @Get()
  @RequireRole('viewer')
  list() {
    return this.lists.list();
  }

  @ApiRoute({ summary: 'One priority list (by id or key)', response: priorityListViewSchema })
  @Get(':ref')
  @RequireRole('viewer')
  get(@Param('ref') ref: string) {
    return this.lists.get(ref);
  }

  @ApiRoute({
    summary: "Members per entry: the segment's, and the exclusive ones (in no higher entry)",
    response: priorityListMembershipSchema,
  })
  @Get(':ref/membership')
  @RequireRole('viewer')
  membership(@Param('ref') ref: string) {
    return this.lists.membership(ref);
  }

  @ApiRoute({
    summary: 'Create a priority list: segments (key or id), highest priority first',
    body: createPriorityListSchema,
    response: priorityListViewSchema,
  })
  @Post()
  @RequireRole('marketer')
  create(@Body() body: unknown) {
    return this.lists.create(parseInput(createPriorityListSchema, body));
  }

  @ApiRoute({
    summary: "Rename a priority list or replace its order (an activation's segment must stay an entry)",
    body: updatePriorityListSchema,
    response: priorityListViewSchema,
  })
  @Patch(':ref')
  @RequireRole('marketer')
  update(@Param('ref') ref: string, @Body() body: unknown) {
    return this.lists.update(ref, parseInput(updatePriorityListSchema, body));
  }

  @ApiRoute({ summary: 'Delete a priority list (409 while a live activation targets it)', status: 204 })
  @Delete(':ref')
  @HttpCode(204)
  @RequireRole('marketer')
  async remove(@Param('ref') ref: string): Promise<void> {
    await this.lists.remove(ref);
  }
}
