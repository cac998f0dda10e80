import { ApiError } from '../api-client';
import { caretLines, sqlErrorPlace } from './sql-error';

describe('a SQL error shown at its place', () => {
  it('reads the position the API sends with sql_syntax_error', () => {
    const error = new ApiError(400, 'sql_syntax_error', 'syntax error at line 2, column 3', [], { position: 28, line: 2, column: 3 });
    expect(sqlErrorPlace(error)).toEqual({ line: 2, column: 3, position: 28 });
    expect(sqlErrorPlace(new ApiError(400, 'sql_missing_key_column', 'missing key column'))).toBeUndefined();
    expect(sqlErrorPlace(new Error('network'))).toBeUndefined();
  });

  it('puts a caret under the column of the line', () => {
    expect(caretLines('SELECT id AS profile_id,\n  FROM profiles', { line: 2, column: 3, position: 28 })).toEqual({
      text: '  FROM profiles',
      caret: '  ^',
    });
    expect(caretLines('SELECT 1', { line: 3, column: 1, position: 20 })).toBeUndefined();
  });
});
