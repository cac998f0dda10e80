import { Module } from '@nestjs/common';
import { ActivationModule } from '@audiencekit/activation-engine';
import { loadConnectors } from '@audiencekit/connector-registry';
import { OnChangeFlush } from './on-change-flush';
import { SyncJobs } from './sync-jobs';
import { VendorRequestCheckJobs } from './vendor-request-check.jobs';
import { loadWorkerConnectors } from './worker-connectors';

// The registry's enabled plugins (AK_CONNECTORS), plus the AK_EXTRA_CONNECTORS test/dev hook.
@Module({
  imports: [ActivationModule.forRoot({ connectors: loadWorkerConnectors(process.env, loadConnectors()) })],
  providers: [SyncJobs, OnChangeFlush, VendorRequestCheckJobs],
  exports: [ActivationModule],
})
export class SyncJobsModule {}
