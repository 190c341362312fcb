/** Shows seconds elapsed in an element, ten times a second, until stopped. */
export function startElapsedTimer(target: HTMLElement): { stop(): number } {
  const started = performance.now();
  const tick = () => (target.textContent = `${((performance.now() - started) / 1000).toFixed(1)} s`);
  tick();
  const timer = setInterval(tick, 100);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return performance.now() - started;
    },
  };
}
