import { Module } from '@nestjs/common';
import { PrivacyModule } from '@audiencekit/privacy';
import { ConsentController } from './consent.controller';
import { PrivacyController } from './privacy.controller';
import { SuppressionsController } from './suppressions.controller';

/**
 * Privacy routes (libs/privacy does the work): POST /privacy/deletions and GET /privacy/deletions/:id;
 * the suppression list (/suppressions: list, add, removals, CSV import and export); consent
 * categories, the categories destinations require, and a profile's consent.
 */
@Module({ imports: [PrivacyModule], controllers: [PrivacyController, SuppressionsController, ConsentController] })
export class PrivacyHttpModule {}
