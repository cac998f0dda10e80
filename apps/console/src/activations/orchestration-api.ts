/** Frequency caps and priority lists as the admin API returns them (issue #23). */
export interface FrequencyCap {
  id: string;
  name: string;
  channel: 'email' | 'sms' | 'ads' | 'webhook' | 'all';
  maxMessages: number;
  windowHours: number;
}

export interface PriorityList {
  id: string;
  key: string;
  name: string;
  entries: { position: number; segmentId: string; segmentKey: string }[];
}

/** `GET /priority-lists/:ref/membership`: members and exclusive members per entry. */
export interface PriorityListMembership {
  listId: string;
  entries: { position: number; segmentId: string; segmentKey: string; members: number; exclusive: number }[];
}

/** "3 per 24 h on sms" — a window in whole days when it is one. */
export function describeCap(cap: Pick<FrequencyCap, 'maxMessages' | 'windowHours' | 'channel'>): string {
  const window = cap.windowHours % 24 === 0 ? `${cap.windowHours / 24} d` : `${cap.windowHours} h`;
  const channel = cap.channel === 'all' ? 'any channel' : cap.channel;
  return `at most ${cap.maxMessages} message${cap.maxMessages === 1 ? '' : 's'} per ${window} on ${channel}`;
}
