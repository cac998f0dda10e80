import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describeSource, type Connector } from '../types';
import { DestinationForm } from './activations-page';

const connector = (slug: string, displayName: string, source: Connector['source']): Connector => ({
  slug,
  displayName,
  channel: 'email',
  deliveryModel: 'list',
  requiredIdentifiers: ['email'],
  settings: { type: 'object', properties: {} },
  secrets: { type: 'object', properties: {} },
  source,
});

describe("a connector's source in the console (#25)", () => {
  it('reads built in, or package@version', () => {
    expect(describeSource({ kind: 'built-in' })).toBe('built in');
    expect(describeSource({ kind: 'package', package: '@acme/audiencekit-acme', version: '0.1.0' })).toBe('@acme/audiencekit-acme@0.1.0');
    expect(describeSource(undefined)).toBe('built in');
  });

  it('the destination form names each connector with its source', () => {
    const html = renderToStaticMarkup(
      createElement(DestinationForm, {
        connectors: [
          connector('webhook', 'Webhook', { kind: 'built-in' }),
          connector('acme', 'Acme', { kind: 'package', package: '@acme/audiencekit-acme', version: '0.1.0' }),
        ],
        onCreated: () => undefined,
      }),
    );
    expect(html).toContain('<option value="webhook">Webhook (built in)</option>');
    expect(html).toContain('<option value="acme">Acme (@acme/audiencekit-acme@0.1.0)</option>');
  });
});
