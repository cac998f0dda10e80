import { callbackUrl, statusCallbackOf } from '../twilio-connector';
import type { TwilioSettings } from '../twilio-settings';

const settings = (statusCallbackUrl?: string) =>
  ({ accountSid: `AC${'1'.repeat(32)}`, from: '+15005550006', statusCallbackUrl }) as TwilioSettings;

describe('where Twilio posts delivery states', () => {
  it("is the core's vendor-events route when the destination sets no URL and a public base URL is configured", () => {
    expect(statusCallbackOf({ settings: settings(), callbackUrl: 'https://ak.example.com/v1/vendor-events/twilio/d-1' })).toBe(
      'https://ak.example.com/v1/vendor-events/twilio/d-1/status',
    );
  });

  it("is the destination's own statusCallbackUrl when set (an operator's receiver), and none without either", () => {
    expect(statusCallbackOf({ settings: settings('https://hooks.example.com/sms'), callbackUrl: 'https://ak.example.com/x' })).toBe(
      'https://hooks.example.com/sms',
    );
    expect(statusCallbackOf({ settings: settings() })).toBeUndefined();
  });

  it('carries the delivery key in the query', () => {
    expect(callbackUrl('https://ak.example.com/v1/vendor-events/twilio/d-1/status', 'a:b')).toBe(
      'https://ak.example.com/v1/vendor-events/twilio/d-1/status?akDeliveryKey=a%3Ab',
    );
  });
});
