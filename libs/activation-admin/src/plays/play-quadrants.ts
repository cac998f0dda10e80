import { INTENT_VALUE_CELLS, INTENT_VALUE_PLAYS, type IntentValueCell } from '@audiencekit/segments-domain';

/** A `segment` condition (current member of another segment), or its negation. */
type MembershipCondition = { type: 'segment'; segment: string } | { type: 'not'; condition: { type: 'segment'; segment: string } };

export interface QuadrantSegmentInput {
  cell: IntentValueCell;
  key: string;
  name: string;
  description: string;
  definition: { type: 'rules'; match: { type: 'all'; conditions: MembershipCondition[] } };
}

/** Short key suffixes of the four cells. */
const CELL_SUFFIX: Record<IntentValueCell, string> = {
  high_intent_high_value: 'hi_hv',
  high_intent_low_value: 'hi_lv',
  low_intent_high_value: 'li_hv',
  low_intent_low_value: 'li_lv',
};

/**
 * The four quadrants of intent × value as rules segments over the two given segments' current
 * memberships: high = a member, low = not a member. They partition every profile, so each play
 * reaches a disjoint audience.
 * @example quadrantSegments('cart', 'vip', 'cart_x_vip')[1].definition.match.conditions
 *   // [{ type: 'segment', segment: 'cart' }, { type: 'not', condition: { type: 'segment', segment: 'vip' } }]
 */
export function quadrantSegments(
  intent: { key: string; name: string },
  value: { key: string; name: string },
  prefix: string,
): QuadrantSegmentInput[] {
  return INTENT_VALUE_CELLS.map((cell) => {
    const highIntent = cell.startsWith('high_intent');
    const highValue = cell.endsWith('high_value');
    const play = INTENT_VALUE_PLAYS[cell];
    return {
      cell,
      key: `${prefix}_${CELL_SUFFIX[cell]}`,
      name: `${play.name} (${intent.name} × ${value.name})`,
      description: `${highIntent ? 'In' : 'Not in'} "${intent.key}" and ${highValue ? 'in' : 'not in'} "${value.key}". Play: ${play.play}.`,
      definition: {
        type: 'rules',
        match: { type: 'all', conditions: [membership(intent.key, highIntent), membership(value.key, highValue)] },
      },
    };
  });
}

function membership(segment: string, member: boolean): MembershipCondition {
  return member ? { type: 'segment', segment } : { type: 'not', condition: { type: 'segment', segment } };
}

/**
 * The default key prefix: `<intent>_x_<value>`, reduced to the characters keys allow and cut so
 * the longest created key (prefix + `_winback`) stays short.
 * @example playsKeyPrefix('high-intent', 'vip') // 'high_intent_x_vip'
 */
export function playsKeyPrefix(intentKey: string, valueKey: string): string {
  const clean = (key: string) =>
    key
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .slice(0, 18);
  const prefix = `${clean(intentKey)}_x_${clean(valueKey)}`;
  return /^[a-z]/.test(prefix) ? prefix : `p_${prefix}`;
}

/**
 * The quadrants' refresh cadence: real time only when both inputs are real time (a real-time rules
 * segment may refer only to real-time segments); otherwise the intent segment's cadence, or the value
 * segment's when intent is real time and value is not. A quadrant reads the inputs' latest
 * memberships, so it lags them by at most one of its own refreshes.
 */
export function quadrantCadence(intentCadence: string, valueCadence: string): string {
  if (intentCadence === 'realtime' && valueCadence === 'realtime') return 'realtime';
  return intentCadence === 'realtime' ? valueCadence : intentCadence;
}
