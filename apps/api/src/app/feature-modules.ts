import { Type } from '@nestjs/common';
import { ActivationsHttpModule } from '../activations/activations-http.module';
import { AdminModule } from '../admin/admin.module';
import { CatalogueHttpModule } from '../catalogue/catalogue-http.module';
import { ComputedTraitsHttpModule } from '../computed-traits/computed-traits-http.module';
import { MetricsHttpModule } from '../metrics/metrics-http.module';
import { PrivacyHttpModule } from '../privacy/privacy-http.module';
import { ProfilesHttpModule } from '../profiles/profiles-http.module';
import { QuizzesHttpModule } from '../quizzes/quizzes-http.module';
import { SegmentsHttpModule } from '../segments/segments-http.module';
import { SqlTraitsHttpModule } from '../sql-traits/sql-traits-http.module';
import { TextSignalsHttpModule } from '../text-signals/text-signals-http.module';
import { TrackingHttpModule } from '../tracking/tracking-http.module';
import { VendorEventsHttpModule } from '../vendor-events/vendor-events-http.module';

/**
 * The API's feature modules, one line each. Each lives in its own folder of apps/api/src and is
 * thin: controllers validate and delegate to services whose logic lives in libs.
 */
export const FEATURE_MODULES: Type[] = [
  ActivationsHttpModule,
  AdminModule,
  CatalogueHttpModule,
  ComputedTraitsHttpModule,
  MetricsHttpModule,
  PrivacyHttpModule,
  ProfilesHttpModule,
  QuizzesHttpModule,
  SegmentsHttpModule,
  SqlTraitsHttpModule,
  TextSignalsHttpModule,
  TrackingHttpModule,
  VendorEventsHttpModule,
];
