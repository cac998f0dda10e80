import { ActivationExclusionEntity } from './activation-exclusion.entity';
import { ActivationExposureEntity } from './activation-exposure.entity';
import { ActivationMemberEntity } from './activation-member.entity';
import { ActivationEntity } from './activation.entity';
import { ApiKeyEntity } from './api-key.entity';
import { AuditLogEntity } from './audit-log.entity';
import { ComputedTraitValueEntity } from './computed-trait-value.entity';
import { ComputedTraitVersionEntity } from './computed-trait-version.entity';
import { ComputedTraitEntity } from './computed-trait.entity';
import { ConsentCategoryEntity } from './consent-category.entity';
import { ConsentWithdrawalEntity } from './consent-withdrawal.entity';
import { DestinationConsentCategoryEntity } from './destination-consent-category.entity';
import { DestinationEntity } from './destination.entity';
import { EventEntity } from './event.entity';
import { FrequencyCapEntity, SendLedgerEntity, SendLedgerProfileEntity } from './frequency-cap.entity';
import { GlobalHoldoutEntity } from './global-holdout.entity';
import {
  JourneyAudienceEntity,
  JourneyEntity,
  JourneyEntryEntity,
  JourneyPendingEntryEntity,
  JourneyStepLogEntity,
  JourneyVersionEntity,
} from './journey.entity';
import { NotificationEntity } from './notification.entity';
import { IdentityEntity } from './identity.entity';
import { MembershipChangeEntity } from './membership-change.entity';
import { PriorityListEntity, PriorityListEntryEntity } from './priority-list.entity';
import { ProfileEntity } from './profile.entity';
import { SegmentMembershipEntity } from './segment-membership.entity';
import { SegmentListEntryEntity } from './segment-list-entry.entity';
import { SegmentRunEntity } from './segment-run.entity';
import { SegmentVersionEntity } from './segment-version.entity';
import { SegmentEntity } from './segment.entity';
import { SuppressionEntity } from './suppression.entity';
import { SyncBatchEntity } from './sync-batch.entity';
import { SyncRejectionEntity } from './sync-rejection.entity';
import { SyncRunEntity } from './sync-run.entity';
import { VendorPendingRequestEntity } from './vendor-pending-request.entity';

export * from './activation.entity';
export * from './activation-exclusion.entity';
export * from './activation-exposure.entity';
export * from './activation-member.entity';
export * from './global-holdout.entity';
export * from './sync-batch.entity';
export * from './sync-rejection.entity';
export * from './vendor-pending-request.entity';
export * from './api-key.entity';
export * from './audit-log.entity';
export * from './computed-trait.entity';
export * from './computed-trait-value.entity';
export * from './computed-trait-version.entity';
export * from './consent-category.entity';
export * from './consent-withdrawal.entity';
export * from './destination-consent-category.entity';
export * from './destination.entity';
export * from './event.entity';
export * from './frequency-cap.entity';
export * from './identity.entity';
export * from './journey.entity';
export * from './notification.entity';
export * from './membership-change.entity';
export * from './priority-list.entity';
export * from './profile.entity';
export * from './segment-membership.entity';
export * from './segment-list-entry.entity';
export * from './segment-run.entity';
export * from './segment-version.entity';
export * from './segment.entity';
export * from './suppression.entity';
export * from './sync-run.entity';

export const ALL_ENTITIES = [
  ProfileEntity,
  IdentityEntity,
  EventEntity,
  SegmentEntity,
  SegmentVersionEntity,
  SegmentRunEntity,
  SegmentMembershipEntity,
  MembershipChangeEntity,
  DestinationEntity,
  ActivationEntity,
  SyncRunEntity,
  ApiKeyEntity,
  AuditLogEntity,
  SuppressionEntity,
  ActivationMemberEntity,
  ActivationExposureEntity,
  ActivationExclusionEntity,
  FrequencyCapEntity,
  SendLedgerEntity,
  SendLedgerProfileEntity,
  PriorityListEntity,
  PriorityListEntryEntity,
  GlobalHoldoutEntity,
  SyncBatchEntity,
  SyncRejectionEntity,
  NotificationEntity,
  ConsentCategoryEntity,
  DestinationConsentCategoryEntity,
  ConsentWithdrawalEntity,
  SegmentListEntryEntity,
  ComputedTraitEntity,
  ComputedTraitVersionEntity,
  ComputedTraitValueEntity,
  JourneyEntity,
  JourneyVersionEntity,
  JourneyPendingEntryEntity,
  JourneyEntryEntity,
  JourneyStepLogEntity,
  JourneyAudienceEntity,
  VendorPendingRequestEntity,
];
