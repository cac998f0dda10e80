import { Module } from '@nestjs/common';
import { PrivacyModule } from '@audiencekit/privacy';
import { ConsentWithdrawalDrain } from './consent-withdrawal-drain';

/** Privacy work of the worker: draining consent withdrawals into removal syncs. */
@Module({ imports: [PrivacyModule], providers: [ConsentWithdrawalDrain] })
export class PrivacyJobsModule {}
