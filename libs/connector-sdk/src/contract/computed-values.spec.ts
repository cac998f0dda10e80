import { computedKeyOfPath, computedKeysInTemplates, memberValue, pickComputed } from './computed-values';
import { renderTemplate } from './personalise';

describe('computed trait values for connectors', () => {
  const member = {
    traits: { first_name: 'Ada', computed: { legacy: 'trait object' } },
    computed: { total_spend_90d: 120.5, favourite_category: 'shoes', zero: 0 },
  };

  it('renders {{computed.<key>}} from the member computed values, beside trait placeholders', () => {
    expect(
      renderTemplate('Hi {{first_name}}, {{ computed.total_spend_90d }} on {{computed.favourite_category}} [{{computed.zero}}]', member),
    ).toBe('Hi Ada, 120.5 on shoes [0]');
  });

  it('renders a computed key the member has no value for as empty, and keeps a trait object named computed reachable', () => {
    expect(renderTemplate('[{{computed.never_loaded}}][{{computed.legacy}}]', member)).toBe('[][trait object]');
    expect(renderTemplate('[{{computed.total_spend_90d}}]', { traits: {} })).toBe('[]');
  });

  it('resolves paths: computed.<key> first, trait paths otherwise', () => {
    expect(memberValue(member, 'computed.total_spend_90d')).toBe(120.5);
    expect(memberValue(member, 'first_name')).toBe('Ada');
    expect(memberValue(member, 'computed.legacy')).toBe('trait object');
    expect(computedKeyOfPath('computed.a.b')).toBeUndefined();
    expect(computedKeyOfPath('computed.Upper')).toBeUndefined();
    expect(computedKeyOfPath('first_name')).toBeUndefined();
    expect(computedKeyOfPath('computed.ltv_1')).toBe('ltv_1');
  });

  it('lists the computed keys a message references, in every string, once each', () => {
    expect(
      computedKeysInTemplates({
        subject: '{{computed.b}} and {{ computed.a }}',
        html: '<p>{{computed.b}} {{first_name}} {{computed.Bad}} {{computed.x.y}}</p>',
        nested: [{ text: '{{computed.c}}' }],
      }),
    ).toEqual(['a', 'b', 'c']);
    expect(computedKeysInTemplates(undefined)).toEqual([]);
  });

  it('picks the selected keys the member has', () => {
    expect(pickComputed(member, ['zero', 'missing', 'favourite_category'])).toEqual({ zero: 0, favourite_category: 'shoes' });
    expect(pickComputed({}, ['zero'])).toEqual({});
  });
});
