// Step 3: an event → its catalog tags. Cannot reject: a well-formed code the catalog does not list is
// stored with category "Unknown" (lib/catalog tagCode), so new codes show up instead of vanishing.
import { tagCode, type ErrorTags } from '../../../lib/catalog/index.js';
import type { ApiErrorEventV1 } from '../../../lib/contract/index.js';

export function tagError(event: Pick<ApiErrorEventV1, 'code'>): ErrorTags {
  return tagCode(event.code);
}
