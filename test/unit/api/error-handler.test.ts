import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../services/api/errors.js';
import { describeValidationIssue, toErrorResponse } from '../../../services/api/plugins/error-handler.js';

describe('describeValidationIssue', () => {
  const issue = (keyword: string, instancePath: string, params: Record<string, unknown>, extra: object = {}) => ({ keyword, instancePath, params, ...extra });

  it.each([
    [issue('enum', '/interval', { allowedValues: ['auto', '1m'] }, { data: '2m' }), "querystring parameter 'interval' must be one of auto, 1m (got '2m')"],
    [issue('enum', '/groupBy/1', { allowedValues: ['code', 'app'] }, { data: 'x' }), "querystring parameter 'groupBy' must be one of code, app (got 'x')"],
    [issue('pattern', '/code/0', { pattern: '^A$' }, { data: 'b', parentSchema: { description: 'an error code' } }), "querystring parameter 'code' must be an error code (got 'b')"],
    [issue('pattern', '/code/0', { pattern: '^A$' }, { data: 'b' }), "querystring parameter 'code' must be in format ^A$ (got 'b')"],
    [issue('type', '/top', { type: 'integer' }, { data: 'many' }), "querystring parameter 'top' must be an integer (got 'many')"],
    [issue('type', '/top', { type: 'number' }), "querystring parameter 'top' must be a number"],
    [issue('minimum', '/top', { limit: 1 }, { data: 0 }), "querystring parameter 'top' must be at least 1 (got '0')"],
    [issue('maximum', '/limit', { limit: 1000 }, { data: 5000 }), "querystring parameter 'limit' must be at most 1000 (got '5000')"],
    [issue('maxItems', '/groupBy', { limit: 2 }), "querystring parameter 'groupBy' may be given at most 2 times"],
    [issue('required', '', { missingProperty: 'dimension' }), "querystring parameter 'dimension' is required"],
    [issue('additionalProperties', '', { additionalProperty: 'grupBy' }, { parentSchema: { properties: { groupBy: {}, top: {} } } }), "querystring parameter 'grupBy' is not recognised; accepted: groupBy, top"],
    [issue('minLength', '/from', { limit: 1 }), "querystring parameter 'from' must not be empty"],
    [issue('maxLength', '/from', { limit: 64 }), "querystring parameter 'from' must be at most 64 characters long"],
    [issue('const', '/x', {}, { message: 'must be equal to constant' }), "querystring parameter 'x' must be equal to constant"],
  ])('%j → %s', (given, expected) => {
    expect(describeValidationIssue(given, 'querystring')).toBe(expected);
  });

  it('names path parameters as such and shortens long values', () => {
    expect(describeValidationIssue(issue('pattern', '/code', {}, { data: 'x'.repeat(200), parentSchema: { description: 'a code' } }), 'params')).toBe(
      `path parameter 'code' must be a code (got '${'x'.repeat(80)}…')`,
    );
  });
});

describe('toErrorResponse', () => {
  it('keeps an ApiError as it is, logging only server faults', () => {
    expect(toErrorResponse(new ApiError(403, 'AUTH_ERR_NO_ACCESS', 'no'))).toEqual({ statusCode: 403, body: { error: { code: 'AUTH_ERR_NO_ACCESS', message: 'no' } }, log: false });
    expect(toErrorResponse(new ApiError(504, 'ERR_OPERATION_FAILED', 'slow')).log).toBe(true);
  });

  it('turns validation errors into ERR_BAD_REQUEST with the formatted message', () => {
    const error = Object.assign(new Error("querystring parameter 'top' must be at least 1"), { validation: [{}], statusCode: 400 });
    expect(toErrorResponse(error)).toEqual({ statusCode: 400, body: { error: { code: 'ERR_BAD_REQUEST', message: "querystring parameter 'top' must be at least 1" } }, log: false });
  });

  it('keeps the status of other client errors with a guide code, and hides server errors', () => {
    expect(toErrorResponse(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }))).toMatchObject({ statusCode: 415, body: { error: { code: 'ERR_BAD_REQUEST' } } });
    expect(toErrorResponse(Object.assign(new Error('gone'), { statusCode: 404 }))).toMatchObject({ statusCode: 404, body: { error: { code: 'ERR_API_NOT_FOUND' } } });
    expect(toErrorResponse(Object.assign(new Error('slow down'), { statusCode: 429 }))).toMatchObject({ statusCode: 429, body: { error: { code: 'ERR_TOO_MANY_REQUESTS' } } });
    const bug = toErrorResponse(new TypeError("Cannot read properties of undefined (reading 'x')"));
    expect(bug).toEqual({ statusCode: 500, body: { error: { code: 'ERR_OPERATION_FAILED', message: 'an unexpected error occurred; the server log has the details' } }, log: true });
  });
});
