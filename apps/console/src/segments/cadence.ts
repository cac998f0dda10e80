// A segment's refreshCadence as the API stores it: 'manual', 'realtime' or a cron expression.
export type CadenceKind = 'manual' | 'schedule' | 'realtime';

export const REALTIME = 'realtime';
export const MANUAL = 'manual';

export const cadenceKind = (cadence: string): CadenceKind =>
  cadence === REALTIME ? 'realtime' : cadence === MANUAL ? 'manual' : 'schedule';

/** What a marketer reads: "real time", "manual" or "schedule 0 6 * * * (UTC)". */
export const describeCadence = (cadence: string): string => {
  const kind = cadenceKind(cadence);
  return kind === 'realtime' ? 'real time' : kind === 'manual' ? 'manual' : `schedule ${cadence} (UTC)`;
};
