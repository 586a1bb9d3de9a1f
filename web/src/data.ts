// Loading state for a page: fetch when the question changes, again on the refresh timer, keep the last
// answer on screen while the next one loads, and drop answers to questions no longer asked.
import { useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
}

export function useData<T>(key: string, load: (signal: AbortSignal) => Promise<T>, refreshMs: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ data: undefined, error: undefined, loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let alive = true;
    const run = async () => {
      controller = new AbortController();
      setState((s) => ({ ...s, loading: true }));
      try {
        const data = await loadRef.current(controller.signal);
        if (alive) setState({ data, error: undefined, loading: false });
      } catch (error) {
        if (alive && (error as Error).name !== 'AbortError') setState((s) => ({ ...s, error: error as Error, loading: false }));
      }
      // Paused while the tab is hidden: nobody is looking, and the API's rate limit is per token.
      if (alive && refreshMs > 0) timer = setTimeout(tick, refreshMs);
    };
    const tick = () => {
      if (document.hidden) timer = setTimeout(tick, 1000);
      else void run();
    };
    setState({ data: undefined, error: undefined, loading: true });
    void run();
    return () => {
      alive = false;
      controller?.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, refreshMs]);
  return state;
}
