import { Module } from '@nestjs/common';
import { SqlTraitsService } from './sql-traits.service';

/** SQL traits (needs the global DatabaseModule and ConfigModule): the API defines and runs them, the worker runs them on cadence, the CLI previews and runs. */
@Module({ providers: [SqlTraitsService], exports: [SqlTraitsService] })
export class SqlTraitsModule {}
