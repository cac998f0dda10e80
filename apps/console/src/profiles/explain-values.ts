import { formatDate } from '../format';

/** What decided one leaf of a profile's explain (`GET /profiles/:id/explain`), in words. */
export function valuesText(values: Record<string, unknown>): string {
  switch (values['kind']) {
    case 'trait':
      return `value ${JSON.stringify(values['value'])}`;
    case 'segment':
      return values['member'] ? 'member' : 'not a member';
    case 'recency':
      return values['lastAt']
        ? `last ${formatDate(values['lastAt'] as string)} (${Number(values['daysSince']).toFixed(2)} days ago)`
        : 'never';
    case 'events': {
      const aggregate = values['aggregate'] as { function: string; result: number | null; values: number } | undefined;
      const count = `${values['count']} in window`;
      const last = values['lastAt'] ? `, last ${formatDate(values['lastAt'] as string)}` : '';
      return aggregate ? `${count}, ${aggregate.function} = ${aggregate.result ?? 'no numeric value'}${last}` : `${count}${last}`;
    }
    case 'sequence': {
      const matched = values['matchedAt'] as string[] | null;
      return matched ? `steps at ${matched.map((at) => formatDate(at)).join(' → ')}` : 'no matching sequence in the window';
    }
    case 'first_time':
      return values['firstAt'] ? `first ${formatDate(values['firstAt'] as string)}` : 'never';
    case 'stopped': {
      const active = values['lastActiveAt'] ? `last active ${formatDate(values['lastActiveAt'] as string)}` : 'not active in the period';
      const quiet = values['lastQuietAt'] ? `, then ${formatDate(values['lastQuietAt'] as string)} in the quiet period` : ', quiet since';
      return `${active}${quiet}`;
    }
    case 'regularly':
      return `${values['distinct']} distinct ${values['per']}s of ${values['atLeast']} needed`;
    case 'location': {
      const located = (values['locations'] as Record<string, unknown>[] | undefined) ?? [];
      if (!values['lastAt'] || located.length === 0) return 'no known location';
      const place = located
        .map((location) =>
          ['city', 'region', 'country', 'postalCode']
            .map((field) => location[field])
            .filter(Boolean)
            .join(', '),
        )
        .join(' / ');
      const distance = typeof values['distanceKm'] === 'number' ? `, ${(values['distanceKm'] as number).toFixed(1)} km away` : '';
      return `last seen ${place || 'at coordinates only'} (${formatDate(values['lastAt'] as string)})${distance}`;
    }
    default:
      return JSON.stringify(values);
  }
}
