export * as journeysRepository from './data/journeys.repository';
export type { JourneyVersionRow, EntryRow, StepLogRow } from './data/journeys.repository';
