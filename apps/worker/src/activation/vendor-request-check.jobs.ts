import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { VendorRequestChecks } from '@audiencekit/activation-engine';
import { PeriodicPass } from '../app/periodic-pass';

// How often due vendor requests are looked for. Checks are due minutes apart
// (AK_VENDOR_REQUEST_FIRST_CHECK_MINUTES, then doubling waits), so a minute's lag is nothing.
export const VENDOR_REQUEST_CHECK_MS = 60_000;

/**
 * Checks requests vendors accepted but had not processed when the sync call answered (Google Data
 * Manager, issue #22): every VENDOR_REQUEST_CHECK_MS a pass of libs/activation-engine's
 * VendorRequestChecks asks the connectors about the due ones and turns members the vendor dropped
 * into rejections of their run. Several workers share the due requests (claims skip rows held by
 * another pass).
 */
@Injectable()
export class VendorRequestCheckJobs implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(VendorRequestCheckJobs.name);
  private readonly passes: PeriodicPass;

  constructor(private readonly checks: VendorRequestChecks) {
    this.passes = new PeriodicPass('vendor request checks', VENDOR_REQUEST_CHECK_MS, () => this.check(), this.logger);
  }

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  private async check(): Promise<void> {
    const result = await this.checks.runPass();
    if (result.checked > 0) this.logger.log(result, 'checked pending vendor requests');
  }
}
