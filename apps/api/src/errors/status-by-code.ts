import type { ActivationExceptionCode } from '@audiencekit/activation-engine';
import type { ActivationAdminExceptionCode } from '@audiencekit/activation-admin';
import type { PrivacyExceptionCode } from '@audiencekit/privacy';
import type { ProfilesExceptionCode } from '@audiencekit/profiles';
import type {
  ComputedTraitsExceptionCode,
  QuizzesExceptionCode,
  SegmentsExceptionCode,
  TextSignalsExceptionCode,
} from '@audiencekit/segments-service';
import type { SqlTraitsExceptionCode } from '@audiencekit/sql-traits';
import type { VendorEventsExceptionCode } from '@audiencekit/vendor-events';

/**
 * The one table from library exception codes to HTTP statuses. Libraries throw their own
 * `XxxException` (a `CodedException` from @audiencekit/util) with a code from their
 * `XxxExceptionCode` union and never speak HTTP; this file decides what each code means to an API
 * client. Each library's table is typed `satisfies Record<XxxExceptionCode, number>`, so adding a
 * code to a library without giving it a status here does not compile.
 *
 * How to add a library: export its `XxxExceptionCode` from the library, add a `const XXX_STATUS =
 * { … } satisfies Record<XxxExceptionCode, HttpStatusCode>` below and spread it into STATUS_BY_CODE.
 * Codes are unique across libraries (a test checks it).
 */
export type HttpStatusCode = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 422 | 429 | 503;

const SEGMENTS_STATUS = {
  invalid_definition: 400,
  needs_fitted_model: 400,
  unknown_segment_reference: 400,
  unknown_computed_trait: 400,
  sql_trait_not_a_feature: 400,
  segment_reference_cycle: 400,
  not_realtime_capable: 400,
  segment_referenced_by_realtime: 400,
  segment_key_taken: 409,
  segment_not_found: 404,
  segment_version_not_found: 404,
  profile_not_found: 404,
  not_a_model_segment: 400,
  not_a_cluster_definition: 400,
  outcome_window_open: 400,
  no_profiles: 400,
  no_profiles_seen_by_cutoff: 400,
  no_active_profiles: 400,
  no_purchases_in_window: 400,
  // Refusals of a model fit (libs/segments-domain's clustering and propensity codes).
  shape_mismatch: 400,
  unknown_feature: 400,
  missing_values: 400,
  non_finite: 400,
  invalid_value: 400,
  constant_feature: 400,
  too_few_rows: 400,
  too_few_distinct_points: 400,
  invalid_labels: 400,
  invalid_option: 400,
  invalid_outcome: 400,
  single_class: 400,
  auc_below_floor: 400,
  not_converged: 400,
  not_a_list_segment: 400,
  list_needs_upload: 400,
  invalid_list_csv: 400,
  list_too_large: 400,
  empty_list: 400,
  run_not_found: 404,
  run_not_cancellable: 409,
  run_not_retryable: 409,
  fit_work_over_cap: 400,
  fit_job_not_found: 404,
} satisfies Record<SegmentsExceptionCode, HttpStatusCode>;

const PRIVACY_STATUS = {
  deletion_not_found: 404,
  suppression_not_found: 404,
  invalid_csv: 400,
  consent_category_not_found: 404,
  consent_category_in_use: 409,
  invalid_consent_category: 400,
  consent_destination_not_found: 404,
  consent_profile_not_found: 404,
} satisfies Record<PrivacyExceptionCode, HttpStatusCode>;

const ACTIVATION_STATUS = {
  activation_not_found: 404,
  sync_run_not_found: 404,
  sync_already_requested: 409,
  confirmation_required: 409,
  not_awaiting_confirmation: 409,
  sync_run_not_cancellable: 409,
  sync_run_not_retryable: 409,
} satisfies Record<ActivationExceptionCode, HttpStatusCode>;

// `invalid_option` (a lift report option out of range, from libs/experimentation) is 400 in the
// segments table: the same code with the same status, so it has no second row here.
const ACTIVATION_ADMIN_STATUS = {
  invalid_request: 400,
  destination_not_found: 404,
  connector_not_registered: 409,
  holdout_share_decrease: 409,
  frequency_cap_not_found: 404,
  priority_list_not_found: 404,
  priority_list_key_taken: 409,
  priority_list_in_use: 409,
  journey_not_found: 404,
  journey_key_taken: 409,
  journey_transition_not_allowed: 409,
  secrets_key_missing: 503,
  kpi_not_configured: 409,
  no_control_group: 409,
  invalid_share: 409,
  invalid_identifier: 409,
  invalid_number: 409,
  inconsistent_input: 409,
  window_mismatch: 409,
  unknown_hash_version: 409,
} satisfies Record<Exclude<ActivationAdminExceptionCode, 'invalid_option'>, HttpStatusCode>;

const PROFILES_STATUS = {
  unknown_profile: 404,
  invalid_lookup: 400,
  unknown_explain_segment: 404,
  explain_model_missing: 409,
} satisfies Record<ProfilesExceptionCode, HttpStatusCode>;

const VENDOR_EVENTS_STATUS = {
  vendor_destination_not_found: 404,
  invalid_signature: 401,
  stale_signature: 401,
  invalid_vendor_body: 400,
} satisfies Record<VendorEventsExceptionCode, HttpStatusCode>;

const SQL_TRAITS_STATUS = {
  invalid_sql_trait: 400,
  sql_syntax_error: 400,
  sql_not_a_select: 400,
  sql_unknown_identifier: 400,
  sql_permission_denied: 400,
  sql_timeout: 400,
  sql_too_many_rows: 400,
  sql_query_failed: 400,
  sql_missing_key_column: 400,
  sql_invalid_columns: 400,
  sql_duplicate_keys: 400,
  sql_trait_key_collision: 400,
  sql_trait_key_taken: 409,
  sql_trait_not_found: 404,
  sql_traits_unavailable: 503,
} satisfies Record<SqlTraitsExceptionCode, HttpStatusCode>;

const COMPUTED_TRAITS_STATUS = {
  invalid_computed_trait: 400,
  computed_trait_key_collision: 400,
  computed_trait_key_taken: 409,
  computed_trait_in_use: 409,
  computed_trait_not_found: 404,
  computed_trait_run_in_progress: 409,
} satisfies Record<ComputedTraitsExceptionCode, HttpStatusCode>;

const QUIZZES_STATUS = {
  invalid_quiz: 400,
  quiz_key_taken: 409,
  quiz_not_found: 404,
  invalid_quiz_answers: 400,
  quiz_version_expired: 400,
  quiz_answers_refused_for_client_key: 403,
} satisfies Record<QuizzesExceptionCode, HttpStatusCode>;

const TEXT_SIGNALS_STATUS = {
  text_signal_config_exists: 409,
  text_signal_config_not_found: 404,
} satisfies Record<TextSignalsExceptionCode, HttpStatusCode>;

/** Every library's table, by library name (the test checks no code appears in two). */
export const STATUS_TABLES: Record<string, Record<string, HttpStatusCode>> = {
  segments: SEGMENTS_STATUS,
  computedTraits: COMPUTED_TRAITS_STATUS,
  quizzes: QUIZZES_STATUS,
  textSignals: TEXT_SIGNALS_STATUS,
  privacy: PRIVACY_STATUS,
  profiles: PROFILES_STATUS,
  activation: ACTIVATION_STATUS,
  activationsAdmin: ACTIVATION_ADMIN_STATUS,
  sqlTraits: SQL_TRAITS_STATUS,
  vendorEvents: VENDOR_EVENTS_STATUS,
};

export const STATUS_BY_CODE: Readonly<Record<string, HttpStatusCode>> = Object.assign({}, ...Object.values(STATUS_TABLES));
