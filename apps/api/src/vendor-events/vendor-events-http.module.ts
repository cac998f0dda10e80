import { Module } from '@nestjs/common';
import { VendorEventsModule } from '@audiencekit/vendor-events';
import { DestinationCallbackUrlsController, VendorEventsController } from './vendor-events.controller';

/** The vendors' callbacks (SendGrid Event Webhook, Twilio status and incoming messages); bodies read by `vendorEventsBodyReader`. */
@Module({ imports: [VendorEventsModule], controllers: [VendorEventsController, DestinationCallbackUrlsController] })
export class VendorEventsHttpModule {}
