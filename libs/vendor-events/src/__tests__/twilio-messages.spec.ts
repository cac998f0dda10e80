import { parseDeliveryKey } from '../delivery-key';
import { formParams, optChangeOf } from '../twilio-messages';

describe('Twilio replies: opt-out and opt-in keywords', () => {
  it.each(['STOP', 'stop', ' Stop ', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'])('%p opts out', (body) => {
    expect(optChangeOf({ Body: body })).toBe('opt_out');
  });

  it.each(['START', 'yes', 'UNSTOP'])('%p opts in', (body) => {
    expect(optChangeOf({ Body: body })).toBe('opt_in');
  });

  it.each(['STOP PLEASE', 'please stop', 'HELP', ''])('%p is an ordinary reply (whole message only, as Twilio matches)', (body) => {
    expect(optChangeOf({ Body: body })).toBeNull();
  });

  it("Advanced Opt-Out's OptOutType wins over the body (a custom keyword)", () => {
    expect(optChangeOf({ Body: 'ARRET', OptOutType: 'STOP' })).toBe('opt_out');
    expect(optChangeOf({ Body: 'HOLA', OptOutType: 'START' })).toBe('opt_in');
    expect(optChangeOf({ Body: 'STOP', OptOutType: 'HELP' })).toBe('opt_out');
  });

  it('reads form parameters (the first of a repeated name)', () => {
    expect(formParams('Body=STOP+now&From=%2B14155550100&Body=x')).toEqual({ Body: 'STOP now', From: '+14155550100' });
  });
});

describe('parseDeliveryKey', () => {
  const activation = '3f1c9a52-5b7e-4c55-8a43-2f0f5e1d9a10';
  const profile = '9b2e4c1d-7a3f-4e8b-9c5d-1e2f3a4b5c6d';
  it('reads the engine keys (send and list forms)', () => {
    expect(parseDeliveryKey(`${activation}:${profile}`)).toEqual({ activationId: activation, profileId: profile });
    expect(parseDeliveryKey(`${activation}:${profile}:${activation}`)).toEqual({ activationId: activation, profileId: profile });
  });
  it.each([null, '', 'test-1', `${activation}`, `${activation}:x`, `${activation}:${profile}:`])('refuses %p', (key) => {
    expect(parseDeliveryKey(key)).toBeNull();
  });
});
