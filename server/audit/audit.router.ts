import { auditListInput, auditListOutput } from '../../shared/schemas/audit.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { listAuditEvents } from './audit.service.js';

/** Portal › Audit log. The CSV export of the same view is an HTTP route (server/http/audit-export.ts): it streams. */
export const auditRouter = router({
  list: adminProcedure
    .input(auditListInput)
    .output(auditListOutput)
    .query(({ ctx, input }) => listAuditEvents(ctx.app, input)),
});
