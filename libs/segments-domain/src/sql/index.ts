export { CompiledSql, SqlParameters, windowSql } from './sql-parameters';
