import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../app-services.js';
import type { Logger } from '../logger.js';
import { tryJobLock } from '../db/locks.js';

/**
 * The one scheduled-jobs mechanism: named jobs, each with an interval on the app's clock (tests
 * drive it with the test clock), each run under a PostgreSQL advisory try-lock named after the job
 * (db/locks.ts), so among all processes one runs a job at a time and the others skip that turn.
 * The lock is held by an open transaction on its own connection for the whole run; the job does
 * its work through `em()` in transactions of its own (purges delete in batches).
 */
export interface Job {
  name: string;
  /** How often the job is due, in ms of the app's clock. */
  intervalMs: number;
  /**
   * Not due before this long after the scheduler was created (app clock); absent: due at the first
   * tick. For a job that has nothing to do because a process started (it would only add its cost
   * to the start-up and to every rolling restart).
   */
  firstRunAfterMs?: number;
  run(ctx: JobContext): Promise<JobResult | undefined> | Promise<void>;
}

export interface JobContext {
  /** A fresh EntityManager for one unit of work. */
  em: () => EntityManager;
  now: Date;
  log: Logger;
  /**
   * Aborted when the process shuts down (Scheduler.stop): a job that works in batches stops after
   * the batch in hand, so a long purge never holds up the drain (SHUTDOWN_TIMEOUT_MS). What it
   * left is picked up at its next turn.
   */
  signal: AbortSignal;
}

/** What a run did, for the log (e.g. rows deleted per table). */
export type JobResult = Record<string, number>;

export interface RunOutcome {
  job: string;
  /** ran: this process ran it; locked: another process was running it; failed: it threw. */
  status: 'ran' | 'locked' | 'failed';
  result?: JobResult;
  error?: unknown;
}

export interface Scheduler {
  readonly jobs: readonly Job[];
  /** Runs every job that is due now (by the app's clock); the timer calls this. */
  runDue(): Promise<RunOutcome[]>;
  /** Runs one job now, under its lock, whether due or not. */
  runNow(name: string): Promise<RunOutcome>;
  /** Starts the timer (checks for due jobs every tickMs of real time). */
  start(): void;
  /** Stops the timer, tells the runs in progress to stop after their batch in hand (JobContext.signal), and waits for them. */
  stop(): Promise<void>;
}

export interface SchedulerOptions {
  em: () => EntityManager;
  clock: Clock;
  log: Logger;
  jobs: Job[];
  /** How often (real time) to look for due jobs; default 60 s. */
  tickMs?: number;
}

export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { em, clock, log, jobs } = opts;
  const tickMs = opts.tickMs ?? 60_000;
  // When each job last ran or was skipped in this process (epoch ms of the app clock); absent: due.
  const lastTurn = new Map<string, number>();
  const createdAt = clock.now().getTime();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  const stopping = new AbortController();
  // Every run in progress (timer and runNow alike): stop() waits for all of them.
  const inProgress = new Set<Promise<RunOutcome>>();

  function runJob(job: Job): Promise<RunOutcome> {
    const run = runJobOnce(job);
    inProgress.add(run);
    void run.finally(() => inProgress.delete(run));
    return run;
  }

  async function runJobOnce(job: Job): Promise<RunOutcome> {
    const now = clock.now();
    lastTurn.set(job.name, now.getTime());
    const lockEm = em();
    try {
      return await lockEm.transactional(async (tx) => {
        if (!(await tryJobLock(tx, job.name))) {
          log.debug('scheduled job skipped: another process is running it', { job: job.name });
          return { job: job.name, status: 'locked' as const };
        }
        const t0 = performance.now();
        const result = (await job.run({ em, now, log, signal: stopping.signal })) ?? undefined;
        log.info('scheduled job ran', { job: job.name, ms: Math.round(performance.now() - t0), ...(result ?? {}) });
        return { job: job.name, status: 'ran' as const, ...(result ? { result } : {}) };
      });
    } catch (e) {
      log.warn('scheduled job failed; it runs again at its next turn', { job: job.name, error: e });
      return { job: job.name, status: 'failed', error: e };
    }
  }

  function find(name: string): Job {
    const job = jobs.find((j) => j.name === name);
    if (!job) throw new Error(`no scheduled job named "${name}"`);
    return job;
  }

  async function runDue(): Promise<RunOutcome[]> {
    const now = clock.now().getTime();
    const out: RunOutcome[] = [];
    for (const job of jobs) {
      if (stopping.signal.aborted) break;
      const last = lastTurn.get(job.name);
      if (last !== undefined && now - last < job.intervalMs) continue;
      if (last === undefined && job.firstRunAfterMs !== undefined && now - createdAt < job.firstRunAfterMs) continue;
      out.push(await runJob(job));
    }
    return out;
  }

  function tick() {
    if (running) return;
    running = runDue()
      .catch((e: unknown) => log.warn('scheduler tick failed', { error: e }))
      .finally(() => (running = null));
  }

  return {
    jobs,
    runDue,
    runNow: (name) => runJob(find(name)),
    start() {
      if (timer) return;
      timer = setInterval(tick, tickMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      stopping.abort();
      await running;
      await Promise.all([...inProgress]);
    },
  };
}
