/** Twilio SMS, send model (slug `twilio`): one templated SMS per new member. */
export { twilioSms, callbackUrl, DELIVERY_KEY_PARAM, MAX_BODY_CHARS } from './twilio-connector';
export type { TwilioDefinition } from './twilio-connector';
export { DOCUMENTED_MPS, twilioLimits } from './twilio-settings';
export type { SenderType, TwilioSecrets, TwilioSettings } from './twilio-settings';
