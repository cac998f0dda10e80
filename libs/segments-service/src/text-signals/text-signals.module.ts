import { Module } from '@nestjs/common';
import { TextSignalsService } from './text-signals.service';

/** Text signals (issue #24): configuration (API) and the scoring pass (worker). Needs the global DatabaseModule. */
@Module({ providers: [TextSignalsService], exports: [TextSignalsService] })
export class TextSignalsModule {}
