import { Module } from '@nestjs/common';
import { ActivationModule } from '@audiencekit/activation-engine';
import { ConsentService } from './consent/consent.service';
import { PrivacyDeletionService } from './privacy-deletion.service';
import { SuppressionsService } from './suppressions/suppressions.service';

/**
 * Privacy deletions, the suppression list and consent. Needs the global DatabaseModule,
 * ConfigModule and QueueModule. The sync engine is imported without connectors: these only
 * request syncs (a queued run + job, exactly as the API and the CLI do); the workers, which have
 * the connectors, execute them.
 */
@Module({
  imports: [ActivationModule.forRoot({ connectors: [] })],
  providers: [PrivacyDeletionService, SuppressionsService, ConsentService],
  exports: [PrivacyDeletionService, SuppressionsService, ConsentService],
})
export class PrivacyModule {}
