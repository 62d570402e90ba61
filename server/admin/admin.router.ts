import { z } from 'zod';
import { USER_STATUSES } from '../../shared/constants.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';

const statsOutput = z.object({
  byStatus: z.record(z.enum(USER_STATUSES), z.number().int()),
  total: z.number().int(),
});

/** Overview figures for the admin shell (the pending count in the navigation). */
export const adminOverviewRouter = router({
  stats: adminProcedure.output(statsOutput).query(async ({ ctx }) => {
    const rows = await ctx.app.em().execute<{ status: string; n: string }[]>(`select status, count(*) as n from app_user group by status`);
    const byStatus = Object.fromEntries(USER_STATUSES.map((s) => [s, 0])) as Record<(typeof USER_STATUSES)[number], number>;
    let total = 0;
    for (const r of rows) {
      byStatus[r.status as keyof typeof byStatus] = Number(r.n);
      total += Number(r.n);
    }
    return { byStatus, total };
  }),
});
