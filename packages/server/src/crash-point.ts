/**
 * Test-only failpoints: when `CALLREC_TEST_CRASH_AT` names this point, the process kills itself
 * with SIGKILL right here, as `kill -9` would at that instant. Crash tests use it to hit windows
 * too narrow to hit from outside (e.g. between storage assembling a track and the state saying so).
 */
export function crashPoint(name: string): void {
  if (process.env.CALLREC_TEST_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
