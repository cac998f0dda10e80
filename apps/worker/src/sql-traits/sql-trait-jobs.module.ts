import { Module } from '@nestjs/common';
import { SqlTraitsModule } from '@audiencekit/sql-traits';
import { SqlTraitJobs } from './sql-trait-jobs';

@Module({ imports: [SqlTraitsModule], providers: [SqlTraitJobs] })
export class SqlTraitJobsModule {}
