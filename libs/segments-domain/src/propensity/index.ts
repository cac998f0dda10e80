export * from './auc';
export * from './calibration';
export * from './logistic-regression';
export * from './propensity-model';
export * from './propensity.exception';
export * from './tiers';
export * from './train-test-split';
export * from './drift';
