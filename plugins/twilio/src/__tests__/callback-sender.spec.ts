import twilio from 'twilio';
import { statusCallbackParams, twilioSignature } from '../fake/callback-sender';

/**
 * The fake's signer (written from Twilio's published algorithm) against Twilio's own example
 * (TwilioDevEd/api-snippets security/signature_validation/signature_validation.2.x.js: token 12345,
 * https://mycompany.com/myapp.php?foo=1&bar=2, these parameters → RSOYDt4T1cUTdK1PDd93/VVr8B8=) and
 * against the twilio SDK's `validateRequest`, which the API verifies with.
 */
describe('the Twilio fake signs its callbacks as Twilio does', () => {
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };

  it("reproduces Twilio's documented example signature", () => {
    expect(twilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it("what it signs passes the SDK's validateRequest, and fails it with another token, URL or parameter", () => {
    const message = {
      sid: `SM${'0'.repeat(32)}`,
      accountSid: `AC${'1'.repeat(32)}`,
      to: '+14155550100',
      from: '+15005550006',
      messagingServiceSid: null,
      body: 'x',
      numSegments: 1,
    };
    const form = statusCallbackParams(message, 'undelivered', '30003');
    const target = 'https://api.example.com/v1/vendor-events/twilio/d/status?akDeliveryKey=a%3Ab';
    const signature = twilioSignature('token', target, form);
    expect(twilio.validateRequest('token', signature, target, form)).toBe(true);
    expect(twilio.validateRequest('other', signature, target, form)).toBe(false);
    expect(twilio.validateRequest('token', signature, target.replace('a%3Ab', 'a%3Ac'), form)).toBe(false);
    expect(twilio.validateRequest('token', signature, target, { ...form, ErrorCode: '30004' })).toBe(false);
  });
});
