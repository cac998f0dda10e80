export * from './delivery-key';
export * from './sendgrid-events';
export * from './sendgrid-signature';
export * from './twilio-messages';
export * from './vendor-events.exception';
export * from './vendor-events.module';
export * from './vendor-events.service';
