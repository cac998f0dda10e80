import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { ApiException } from './api-exception';
import { isUuid } from '@audiencekit/util';

/** `:id`, `:runId`, `:segmentId`… : every route parameter with such a name is a row id (a UUID). */
const ID_PARAM = /^(id|[a-z][A-Za-z]*Id)$/;

/**
 * Global pipe: an id route parameter that is not a UUID is a 400 naming it, before the handler —
 * otherwise Postgres refuses the `uuid` cast and the caller sees a 500.
 */
@Injectable()
export class IdParamsPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type !== 'param') return value;
    const params = metadata.data === undefined ? asRecord(value) : { [metadata.data]: value };
    const invalid = Object.entries(params).filter(([name, param]) => ID_PARAM.test(name) && !(typeof param === 'string' && isUuid(param)));
    if (invalid.length === 0) return value;
    const details = invalid.map(([name]) => ({ path: `params.${name}`, message: 'must be a UUID' }));
    throw new ApiException(400, 'invalid_request', `invalid params: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}
