import { describe, expect, it } from 'vitest';
import { UNKNOWN_CATEGORY, findEntry } from '../../../lib/catalog/index.js';
import { tagError } from '../../../services/ingest/steps/tag-error.js';

describe('tagError', () => {
  it('tags a catalogued code with its catalog category, family and fault', () => {
    const entry = findEntry('ERR_UID_NOT_FOUND')!;
    expect(tagError({ code: 'ERR_UID_NOT_FOUND' })).toMatchObject({ category: entry.category, family: entry.family, fault: entry.fault, known: true });
  });

  it('stores a well-formed unknown code as Unknown, keeping its family', () => {
    expect(tagError({ code: 'ERR_BRAND_NEW_THING' })).toEqual({
      category: UNKNOWN_CATEGORY,
      categorySlug: 'unknown',
      family: 'ERR_BRAND',
      fault: 'unknown',
      severity: 'medium',
      known: false,
    });
  });
});
