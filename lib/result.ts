// "Ok, or why not": what a function returns for input it may refuse, instead of throwing. Throwing is
// kept for broken dependencies and bugs; a refusal is a value the caller has to look at.

export interface Ok<T> {
  ok: true;
  value: T;
}

export interface Failed<E> {
  ok: false;
  error: E;
}

/** `E` is a message by default; the ingest steps use a structured one (a dead-letter reason and a detail). */
export type Result<T, E = string> = Ok<T> | Failed<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });

export const fail = <E>(error: E): Failed<E> => ({ ok: false, error });
