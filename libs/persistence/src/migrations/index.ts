import { Initial1795395934069 } from './1795395934069-initial';
import { HistoryGuards1795395934070 } from './1795395934070-history-guards';
import { SegmentRunScheduling1795396715911 } from './1795396715911-segment-run-scheduling';
import { SegmentationFunctions1795400000000 } from './1795400000000-segmentation-functions';
import { ActivationEngine1796113604695 } from './1796113604695-activation-engine';
import { ActivationMemberDeliveredAt1796117086843 } from './1796117086843-activation-member-delivered-at';
import { SourceTrustAndDedupe1796200100000 } from './1796200100000-source-trust-and-dedupe';
import { ForgetErasedIdentifiers1796200000000 } from './1796200000000-forget-erased-identifiers';
import { HoldoutHashVersion1796300000000 } from './1796300000000-holdout-hash-version';
import { RealtimeAudiences1796400000000 } from './1796400000000-realtime-audiences';
import { RealtimeActivationOutbox1796400100000 } from './1796400100000-realtime-activation-outbox';
import { ConsentCategories1796616012007 } from './1796616012007-consent-categories';
import { EventCatalogue1796616029026 } from './1796616029026-event-catalogue';
import { ListsAndRunControl1796616634388 } from './1796616634388-lists-and-run-control';
import { ConsentWithdrawals1796617484134 } from './1796617484134-consent-withdrawals';
import { NotificationsOutbox1796619006548 } from './1796619006548-notifications-outbox';
import { ComputedTraits1796700000000 } from './1796700000000-computed-traits';
import { SharedRateLimitsAndMatch1796700100000 } from './1796700100000-shared-rate-limits-and-match';
import { SqlTraits1796700200000 } from './1796700200000-sql-traits';
import { ModelFitJobs1796800000000 } from './1796800000000-model-fit-jobs';
import { ActivationExclusions1796900000000 } from './1796900000000-activation-exclusions';
import { FrequencyCaps1796900100000 } from './1796900100000-frequency-caps';
import { PriorityLists1796900200000 } from './1796900200000-priority-lists';
import { ComputedTraitNumberStatistics1796950000000 } from './1796950000000-computed-trait-number-statistics';
import { ComputedTraitNumberIndex1796960000000 } from './1796960000000-computed-trait-number-index';
import { Quizzes1797000000000 } from './1797000000000-quizzes';
import { Journeys1797100000000 } from './1797100000000-journeys';
import { TextSignals1797200000000 } from './1797200000000-text-signals';
import { JourneyHeldEntries1797100100000 } from './1797100100000-journey-held-entries';
import { SendLedgerRetention1797100200000 } from './1797100200000-send-ledger-retention';
import { VendorPendingRequests1797300000000 } from './1797300000000-vendor-pending-requests';

// Every migration, in order. Listed explicitly (no glob) so the same list works in the apps, the
// CLI and jest without a build step. Add new ones at the end (generate with
// libs/persistence/scripts/generate-migration.ts).
export const ALL_MIGRATIONS = [
  Initial1795395934069,
  HistoryGuards1795395934070,
  SegmentRunScheduling1795396715911,
  SegmentationFunctions1795400000000,
  ActivationEngine1796113604695,
  ActivationMemberDeliveredAt1796117086843,
  SourceTrustAndDedupe1796200100000,
  ForgetErasedIdentifiers1796200000000,
  HoldoutHashVersion1796300000000,
  RealtimeAudiences1796400000000,
  RealtimeActivationOutbox1796400100000,
  ConsentCategories1796616012007,
  EventCatalogue1796616029026,
  ListsAndRunControl1796616634388,
  ConsentWithdrawals1796617484134,
  NotificationsOutbox1796619006548,
  ComputedTraits1796700000000,
  SharedRateLimitsAndMatch1796700100000,
  SqlTraits1796700200000,
  ModelFitJobs1796800000000,
  ActivationExclusions1796900000000,
  FrequencyCaps1796900100000,
  PriorityLists1796900200000,
  ComputedTraitNumberStatistics1796950000000,
  ComputedTraitNumberIndex1796960000000,
  Quizzes1797000000000,
  Journeys1797100000000,
  TextSignals1797200000000,
  VendorPendingRequests1797300000000,
  JourneyHeldEntries1797100100000,
  SendLedgerRetention1797100200000,
];
