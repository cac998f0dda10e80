import { useEffect, useState } from 'react';
import { api, ApiError } from '../api-client';

/**
 * Whether the signed-in key may write computed traits (marketer or admin). The API has no "who am
 * I" route; a viewer's POST is refused with 403 by the role guard before the body is read, while a
 * marketer's empty body is a 400. So an empty POST to the preview tells them apart and writes
 * nothing (only successful writes are audited).
 */
let probe: Promise<boolean> | undefined;
export function useCanWriteTraits(): boolean | undefined {
  const [can, setCan] = useState<boolean>();
  useEffect(() => {
    probe ??= api('POST', '/computed-traits/preview', {}).then(
      () => true,
      (error: unknown) => !(error instanceof ApiError && (error.status === 403 || error.status === 401)),
    );
    let live = true;
    void probe.then((answer) => live && setCan(answer));
    return () => {
      live = false;
    };
  }, []);
  return can;
}

/** Forget the answer when the key changes (sign out). */
export const forgetWriteAccess = (): void => {
  probe = undefined;
};
