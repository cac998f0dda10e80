import type { EligibleMember } from '@audiencekit/connector-sdk';
import type { ResolvedArm } from '@audiencekit/experimentation';
import { SyncException } from '../sync.exception';

/**
 * Defence in depth: right before a plugin call, every member of the batch is checked against the
 * holdout again (global and activation). A held-out member here means a bug upstream; the call is
 * refused and the run fails loudly rather than contact a control-group member.
 */
export function assertNoHeldOutMember(members: readonly EligibleMember[], armOf: (profileId: string) => ResolvedArm): void {
  const leaked = members.filter((member) => armOf(member.profileId) !== 'treatment');
  if (leaked.length > 0) {
    throw new SyncException(
      'holdout_violation',
      `internal error: ${leaked.length} held-out member(s) reached a batch (e.g. ${leaked[0].profileId}); the call was refused`,
    );
  }
}
