export * from './profile-view';
export * from './profiles.exception';
export * from './profiles.service';
export * from './profile-explain.service';
export * from './profiles.module';
