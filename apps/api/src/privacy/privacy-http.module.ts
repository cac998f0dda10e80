import { Module } from '@nestjs/common';
import { PrivacyModule } from '@audiencekit/privacy';
import { PrivacyController } from './privacy.controller';

/** POST /privacy/deletions and GET /privacy/deletions/:id (libs/privacy does the work). */
@Module({ imports: [PrivacyModule], controllers: [PrivacyController] })
export class PrivacyHttpModule {}
