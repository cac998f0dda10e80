import { Module } from '@nestjs/common';
import { SegmentsModule } from '@audiencekit/segments-service';
import { ComputedTraitsController } from './computed-traits.controller';

/** /computed-traits: define, preview, run and read computed traits (libs/segments-service computed-traits). */
@Module({ imports: [SegmentsModule], controllers: [ComputedTraitsController] })
export class ComputedTraitsHttpModule {}
