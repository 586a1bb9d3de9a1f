import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/api/errors.js';
import { classifyClickHouseError } from '../../../services/api/query/run.js';
import { dateTime64Param } from '../../../services/api/query/time-range.js';

const clickhouseError = (code: string, message: string) => Object.assign(new Error(message), { code, type: 'X' });

describe('classifyClickHouseError', () => {
  it('answers a ClickHouse timeout with 504 naming API_QUERY_TIMEOUT_S', () => {
    for (const err of [clickhouseError('159', 'Timeout exceeded: elapsed 10 s'), new Error('Timeout error.')]) {
      expect(classifyClickHouseError(err, 10)).toMatchObject({
        statusCode: 504,
        code: 'ERR_OPERATION_FAILED',
        message: 'the query ran longer than 10 s (API_QUERY_TIMEOUT_S) and was stopped; narrow the time range or add filters',
      });
    }
  });

  it('answers an overloaded or unreachable ClickHouse with 503', () => {
    expect(classifyClickHouseError(clickhouseError('241', 'Memory limit exceeded\nstack'), 10)).toMatchObject({ statusCode: 503, message: expect.stringContaining('Memory limit exceeded') });
    expect(classifyClickHouseError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 10)).toMatchObject({ statusCode: 503, message: 'ClickHouse is unreachable (ECONNREFUSED); retry later' });
    expect(classifyClickHouseError(clickhouseError('60', 'Unknown table'), 10)).toMatchObject({ statusCode: 503, message: expect.stringContaining('errpulse migrate') });
  });

  it('answers a closed embedded connection with 503, not a 500 quoting the native binding', () => {
    for (const message of ['ChdbConnection is closed', 'No active connection available', 'Usage: connection, sql, format, [params]']) {
      expect(classifyClickHouseError(new Error(message), 10)).toMatchObject({ statusCode: 503, message: expect.stringContaining('connection to ClickHouse is closed') });
    }
  });

  it('hides anything else behind a 500 that keeps the cause for the log', () => {
    const cause = clickhouseError('62', 'Syntax error');
    const mapped = classifyClickHouseError(cause, 10);
    expect(mapped).toMatchObject({ statusCode: 500, code: 'ERR_OPERATION_FAILED' });
    expect(mapped.message).not.toContain('Syntax');
    expect(mapped.cause).toBe(cause);
    const own = new ApiError(400, 'ERR_BAD_REQUEST', 'x');
    expect(classifyClickHouseError(own, 10)).toBe(own);
  });
});

describe('dateTime64Param', () => {
  it('writes unix seconds with milliseconds', () => {
    expect(dateTime64Param(new Date('2026-05-10T10:00:00.042Z'))).toBe('1778407200.042');
  });
});
