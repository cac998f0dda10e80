import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { SegmentListsController } from './segment-lists.controller';
import { SegmentRunControlController } from './segment-run-control.controller';
import { SegmentsController } from './segments.controller';

@Module({ imports: [SegmentsModule], controllers: [SegmentsController, SegmentListsController, SegmentRunControlController] })
export class SegmentsHttpModule {}
