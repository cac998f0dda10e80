import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { SegmentsController } from './segments.controller';

@Module({ imports: [SegmentsModule], controllers: [SegmentsController] })
export class SegmentsHttpModule {}
