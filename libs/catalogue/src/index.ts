export * from './catalogue-view';
export * from './catalogue.module';
export * from './catalogue.service';
export { EXAMPLE_MIN_PROFILES, EXAMPLE_SAMPLE_EVENTS, MAX_EXAMPLES } from './catalogue.repository';
