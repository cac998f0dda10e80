import { Module } from '@nestjs/common';
import { ActivationModule } from '@audiencekit/activation-engine';
import { PrivacyDeletionService } from './privacy-deletion.service';

/**
 * Privacy deletions. Needs the global DatabaseModule, ConfigModule and QueueModule. The sync
 * engine is imported without connectors: a deletion only requests syncs (a queued run + job,
 * exactly as the API and the CLI do); the workers, which have the connectors, execute them.
 */
@Module({
  imports: [ActivationModule.forRoot({ connectors: [] })],
  providers: [PrivacyDeletionService],
  exports: [PrivacyDeletionService],
})
export class PrivacyModule {}
