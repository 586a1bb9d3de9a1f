// The catalog kinds the rules route on, and their words.
export const KIND = { server: 'server_failure', auth: 'auth', limit: 'limit', unknown: 'unknown' } as const;

export const KIND_WORDS: Readonly<Record<string, { plural: string; meaning: string }>> = {
  server_failure: { plural: 'server failures', meaning: 'the platform failed' },
  auth: { plural: 'authentication failures', meaning: 'the app ID, API key or auth token is missing, wrong, or bound to someone else' },
  limit: { plural: 'limit errors', meaning: 'a plan, quota, subscription, rate or capacity limit was reached' },
};
