export * from './text-signal-input.schema';
export { TextSignalsException, type TextSignalsExceptionCode } from './text-signals.exception';
export {
  signalsOf,
  TextSignalsService,
  type EventSignals,
  type ScoringPassResult,
  type TextSignalConfigView,
} from './text-signals.service';
export { TextSignalsModule } from './text-signals.module';
