import { Type } from '@nestjs/common';
import { ActivationsHttpModule } from '../activations/activations-http.module';
import { AdminModule } from '../admin/admin.module';
import { SegmentsHttpModule } from '../segments/segments-http.module';
import { TrackingHttpModule } from '../tracking/tracking-http.module';

/**
 * The API's feature modules, one line each. Each lives in its own folder of apps/api/src and is
 * thin: controllers validate and delegate to services whose logic lives in libs.
 */
export const FEATURE_MODULES: Type[] = [
  ActivationsHttpModule,
  AdminModule,
  SegmentsHttpModule,
  TrackingHttpModule,
];
