/**
 * The fuzz suite's event-loop watch counts the loop's own work, not the time
 * a loaded machine left the process unscheduled.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { watchEventLoop } from './harness.js';

describe('watchEventLoop', () => {
  it('counts 300 ms of work that never yields as a block of about that length', () => {
    const watch = watchEventLoop();
    const started = process.threadCpuUsage();
    let used = 0;
    while (used < 300_000) {
      const now = process.threadCpuUsage(started);
      used = now.user + now.system;
    }
    expect(watch.stop()).toBeGreaterThanOrEqual(290);
  });

  it('does not count a second in which the process was stopped', async () => {
    const watch = watchEventLoop();
    // Another process stops this one for a second, as an overloaded scheduler would leave it waiting.
    const child = spawn('sh', ['-c', `kill -STOP ${process.pid}; sleep 1; kill -CONT ${process.pid}`], { stdio: 'ignore' });
    await once(child, 'exit');
    expect(watch.stop()).toBeLessThan(300);
  });
});
