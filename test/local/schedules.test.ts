import type { ScheduledEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { schedules } from '../../lambdas/topology.js';
import type { LambdaHandler } from '../../local/functions.js';
import { runOnSchedule } from '../../local/schedules.js';
import { waitFor } from '../webhooks/support.js';

const schedule = schedules[0];

describe('the local schedule of a scheduled function', () => {
  it('invokes the handler every interval with a scheduled event, never two runs at once, and stops after the run in progress', async () => {
    if (schedule === undefined) throw new Error('The topology schedules no function');
    const events: ScheduledEvent[] = [];
    let running = 0;
    let mostAtOnce = 0;
    let finishRun: () => void = () => undefined;
    const handler: LambdaHandler = async (event) => {
      events.push(event as ScheduledEvent);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      // Each run lasts several intervals, until the test lets it end.
      await new Promise<void>((resolveRun) => {
        finishRun = resolveRun;
      });
      running--;
      return undefined;
    };
    const poller = runOnSchedule(schedule, handler, 5, (message, error) => {
      console.error(message, error);
    });

    for (let run = 1; run <= 4; run++) {
      await waitFor(() => Promise.resolve(events.length === run && running === 1 ? true : undefined), `run ${run}`);
      if (run < 4) finishRun();
    }
    const stopped = poller.stop();
    finishRun();
    await stopped;

    expect(running).toBe(0);
    expect(mostAtOnce).toBe(1);
    expect(events).toHaveLength(4);
    expect(events[0]).toMatchObject({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    expect(new Set(events.map((event) => event.id)).size).toBe(4);
  });
});
