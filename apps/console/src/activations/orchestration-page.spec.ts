import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describeCap } from './orchestration-api';
import { ActivationTargeting, FrequencyCapsTable, PriorityListTable } from './orchestration-page';

describe('caps and priorities (console, issue #23)', () => {
  it('describes a cap in words, in days when the window is whole days', () => {
    expect(describeCap({ maxMessages: 1, windowHours: 24, channel: 'sms' })).toBe('at most 1 message per 1 d on sms');
    expect(describeCap({ maxMessages: 5, windowHours: 36, channel: 'all' })).toBe('at most 5 messages per 36 h on any channel');
  });

  it('renders the caps table, and says when there are none', () => {
    const html = renderToStaticMarkup(
      createElement(FrequencyCapsTable, {
        caps: [{ id: 'c1', name: 'two texts a day', channel: 'sms', maxMessages: 2, windowHours: 24 }],
      }),
    );
    expect(html).toContain('two texts a day');
    expect(html).toContain('at most 2 messages per 1 d on sms');
    expect(renderToStaticMarkup(createElement(FrequencyCapsTable, { caps: [] }))).toContain('No frequency caps');
  });

  it('renders a priority list in order with members and exclusive members per entry', () => {
    const list = {
      id: 'l1',
      key: 'plays',
      name: 'Plays',
      entries: [
        { position: 1, segmentId: 's1', segmentKey: 'high_value' },
        { position: 2, segmentId: 's2', segmentKey: 'retarget' },
      ],
    };
    const loading = renderToStaticMarkup(createElement(PriorityListTable, { list }));
    expect(loading).toContain('…');
    const html = renderToStaticMarkup(
      createElement(PriorityListTable, {
        list,
        membership: {
          listId: 'l1',
          entries: [
            { position: 1, segmentId: 's1', segmentKey: 'high_value', members: 1200, exclusive: 1200 },
            { position: 2, segmentId: 's2', segmentKey: 'retarget', members: 3400, exclusive: 2900 },
          ],
        },
      }),
    );
    expect(html.indexOf('high_value')).toBeLessThan(html.indexOf('retarget'));
    expect(html).toContain('<td>3,400</td><td>2,900</td>');
    expect(html).toContain('href="#/segments/s2"');
  });

  it("renders an activation's exclusions and priority entry", () => {
    const html = renderToStaticMarkup(
      createElement(ActivationTargeting, { excludeSegmentKeys: ['dormant_low_value'], priorityList: { key: 'plays', position: 2 } }),
    );
    expect(html).toContain('dormant_low_value');
    expect(html).toContain('plays, entry 2');
    expect(renderToStaticMarkup(createElement(ActivationTargeting, { excludeSegmentKeys: [] }))).toContain('<dd>none</dd>');
  });
});
