import { pendingAnswersInput, pendingAnswersOutput, userAnswersOutput } from '../../shared/registration-form.js';
import { userIdInput } from '../../shared/schemas/users.js';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { pendingQueueAnswers, userAnswers } from './registration-answers.service.js';

/** Answers to the sign-up fields (admin.users.answers): the user page's card, the Pending queue's columns. */
export const registrationAnswersRouter = router({
  ofUser: adminProcedure
    .input(userIdInput)
    .output(userAnswersOutput)
    .query(({ ctx, input }) => userAnswers(ctx.app.em(), input.userId)),
  forPending: adminProcedure
    .input(pendingAnswersInput)
    .output(pendingAnswersOutput)
    .query(({ ctx, input }) => pendingQueueAnswers(ctx.app.em(), input.userIds)),
});
