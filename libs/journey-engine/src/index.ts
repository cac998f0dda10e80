export * as journeysRepository from './data/journeys.repository';
export type { JourneyVersionRow, EntryRow, StepLogRow } from './data/journeys.repository';
export { JourneyEngine, nextEntryNumber } from './journey-engine';
export type { JourneyPassReport } from './journey-engine';
export { JOURNEY_ENGINE_OPTIONS, DEFAULT_JOURNEY_ENGINE_OPTIONS } from './journey-engine.options';
export type { JourneyEngineOptions } from './journey-engine.options';
export { JourneyReportService } from './journey-report.service';
export type { JourneyReport, JourneyStepReport } from './journey-report.service';
