import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import type { ScheduleSpec } from '../lambdas/topology.js';
import { invoke, type Log, type RunningPoller, sleep } from './event-sources.js';
import type { LambdaHandler } from './functions.js';

/** The event an EventBridge schedule rule sends; nothing in it is work. */
export const scheduledEvent = (schedule: ScheduleSpec, at: Date): ScheduledEvent => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '000000000000',
  time: at.toISOString(),
  region: 'us-east-1',
  resources: [`arn:aws:events:us-east-1:000000000000:rule/retrysafe-${schedule.function}`],
  detail: {},
});

/**
 * The EventBridge rule of a scheduled function: a run every `intervalMs`, the first one
 * interval after start. A run that outlasts the interval delays the next rather than overlapping
 * it; stopping waits for the run in progress to end.
 */
export const runOnSchedule = (schedule: ScheduleSpec, handler: LambdaHandler, intervalMs: number, log: Log): RunningPoller => {
  const abort = new AbortController();
  const loop = async () => {
    let nextRun = Date.now() + intervalMs;
    for (;;) {
      await sleep(nextRun - Date.now(), abort.signal);
      if (abort.signal.aborted) return;
      try {
        await invoke(schedule.function, handler, scheduledEvent(schedule, new Date()));
      } catch (error) {
        log(`Scheduled run of ${schedule.function} failed; the next run is the retry`, error);
      }
      nextRun = Math.max(nextRun + intervalMs, Date.now());
    }
  };
  const running = loop();
  return {
    stop: async () => {
      abort.abort();
      await running;
    },
  };
};
