import { Module } from '@nestjs/common';
import { SqlTraitsModule } from '@audiencekit/sql-traits';
import { SqlTraitsController } from './sql-traits.controller';

/** /sql-traits: define, preview and run SQL traits (libs/sql-traits); admin only. */
@Module({ imports: [SqlTraitsModule], controllers: [SqlTraitsController] })
export class SqlTraitsHttpModule {}
