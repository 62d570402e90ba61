import { formVersionsOutput, publishFormInput, registrationFormSchema } from '../../shared/registration-form.js';
import { router } from '../trpc/init.js';
import { adminProcedure, publicProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { listFormVersions, publishForm, readCurrentForm } from './registration-form.service.js';

/** Settings > Registration form: the sign-up fields. Mounted at admin.settings.registrationForm. */
export const registrationFormRouter = router({
  get: adminProcedure.output(registrationFormSchema).query(({ ctx }) => readCurrentForm(ctx.app.em())),
  versions: adminProcedure.output(formVersionsOutput).query(({ ctx }) => listFormVersions(ctx.app.em())),
  publish: recentAuthAdminProcedure
    .input(publishFormInput)
    .output(registrationFormSchema)
    .mutation(({ ctx, input }) => publishForm(ctx.app, ctx.auth.user, input.fields)),
});

/** auth.registrationForm: public, the current definition the register page renders and validates with. */
export const registrationFormOutputProcedure = publicProcedure.output(registrationFormSchema).query(({ ctx }) => readCurrentForm(ctx.app.em()));
