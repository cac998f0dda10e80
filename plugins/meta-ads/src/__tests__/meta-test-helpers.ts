import { metaAdsConnector } from '../index';
import type { FakeAudience, MetaFake } from '../fake/meta-fake';

/** The optional methods of the definition, checked present once (so tests need no non-null assertions). */
function methodsOf(definition: typeof metaAdsConnector) {
  const { ensureAudience, upsert, remove, audienceSize } = definition;
  if (!ensureAudience || !upsert || !remove || !audienceSize)
    throw new Error('meta-ads must implement ensureAudience, upsert, remove and audienceSize');
  return { ensureAudience, upsert, remove, audienceSize };
}

export const meta = methodsOf(metaAdsConnector);

export function audienceOf(fake: MetaFake, id: string): FakeAudience {
  const audience = fake.audiences.get(id);
  if (!audience) throw new Error(`the fake has no audience ${id}`);
  return audience;
}
