import { compileListSql, type ListSource } from './lists/list-definition';
import { compileValueSegmentSql } from './rfm/compile-rfm-sql';
import type { SegmentDefinition } from './rules/definition.schema';
import { compileRulesSql } from './rules/compile-sql';
import type { CompiledSql } from './sql/sql-parameters';

/**
 * The members of a segment as ONE parameterised query returning `profile_id`: rules through the
 * rules compiler, RFM and intent × value through the RFM SQL. The one entry point the segment
 * service calls, so the two compilers never import each other.
 * A list segment's query reads the identifiers uploaded with one version, so it needs `list`.
 * @throws {Error} for cluster, propensity and clv definitions, whose members need their stored model,
 *   and for a list definition without `list`.
 * @example compileSegmentSql({ type: 'rules', match: { type: 'trait', trait: 'plan', operator: 'equals', value: 'pro' } }, { now: new Date() })
 */
export function compileSegmentSql(definition: SegmentDefinition, options: { now: Date; list?: ListSource }): CompiledSql {
  switch (definition.type) {
    case 'rules':
      return compileRulesSql(definition, options);
    case 'rfm':
    case 'intent_value':
      return compileValueSegmentSql(definition, options);
    case 'cluster':
    case 'propensity':
    case 'clv':
      throw new Error(`a ${definition.type} segment's members come from its stored model, not from SQL alone`);
    case 'list':
      if (!options.list) throw new Error("a list segment's members come from the identifiers uploaded with one of its versions");
      return compileListSql(definition, options.list);
  }
}
