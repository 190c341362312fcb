/**
 * Locks the wallet after a stretch without the holder touching it: any click, tap, key press,
 * scroll or typing restarts the wait. Only what the holder does counts — a proof running or a
 * balance refreshing does not keep an unattended wallet open.
 */
const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'input'] as const;

export interface InactivityWatch {
  /** Starts (or restarts) watching; call when the wallet unlocks. */
  start(): void;
  /** Stops watching; call when the wallet locks. */
  stop(): void;
}

export function watchInactivity(minutes: number, onIdle: () => void, target: Document = document): InactivityWatch {
  const delayMs = minutes * 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const restart = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stop();
      onIdle();
    }, delayMs);
  };
  const stop = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const type of ACTIVITY) target.removeEventListener(type, restart, true);
  };
  return {
    start() {
      stop();
      for (const type of ACTIVITY) target.addEventListener(type, restart, { capture: true, passive: true });
      restart();
    },
    stop,
  };
}
