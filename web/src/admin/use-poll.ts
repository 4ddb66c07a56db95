import { useEffect, useState } from 'preact/hooks';
import { errorText } from './admin-api.js';

/** Loads `load()` now and every `everyMs`; keeps the last value through a failed refresh. */
export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number,
  deps: readonly unknown[] = [],
): { value: T | null; error: string | null; refresh: () => void } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const run = () =>
      void load().then(
        (v) => {
          if (!stopped) {
            setValue(v);
            setError(null);
          }
        },
        (err: unknown) => {
          if (!stopped) setError(errorText(err));
        },
      );
    run();
    const timer = setInterval(run, everyMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [tick, ...deps]);
  return { value, error, refresh: () => setTick((t) => t + 1) };
}
