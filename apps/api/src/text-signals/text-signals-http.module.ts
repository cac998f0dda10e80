import { Module } from '@nestjs/common';
import { TextSignalsModule } from '@audiencekit/segments-service';
import { TextSignalsController } from './text-signals.controller';

/** /text-signals (admin): which event text the worker scores, and the vocabularies it tags with. */
@Module({ imports: [TextSignalsModule], controllers: [TextSignalsController] })
export class TextSignalsHttpModule {}
