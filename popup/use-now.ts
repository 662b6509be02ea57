import { useEffect, useState } from 'preact/hooks';

/** The time, renewed every `everyMs` ("12 s ago" labels stay true while a view is open). */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
