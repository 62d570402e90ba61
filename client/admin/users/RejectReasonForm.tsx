import type { JSX } from 'solid-js';
import * as z from 'zod/mini';
import { REJECTION_REASON_MAX, rejectUserInput } from '../../../shared/schemas/users';
import { createForm } from '../../lib/form';
import { zodValidator } from '../../lib/zod-form';
import { Button, Dialog, FormError, TextAreaField } from '../../ui';

const reasonSchema = z.pick(rejectUserInput, { reason: true });

interface RejectReasonFormProps {
  /** Who will not be able to log in, and what they are told. */
  intro: JSX.Element;
  /** Under the reason field: who sees it. */
  hint: string;
  submitLabel: string;
  onClose: () => void;
  /** Rejects with the reason (null when none is given); true closes the form. */
  submit: (reason: string | null) => Promise<boolean>;
}

/** Rejecting a registration with an optional reason, for one user (their page) or many (the bulk bar). */
export function RejectReasonDialog(props: RejectReasonFormProps & { open: boolean; title: string }) {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <RejectReasonForm {...props} />
    </Dialog>
  );
}

function RejectReasonForm(props: RejectReasonFormProps) {
  const form = createForm(zodValidator(reasonSchema), { reason: '' });
  return (
    <form
      class="stack"
      novalidate
      onSubmit={(e) => {
        e.preventDefault();
        // The handlers are read now, at submit time; the callback runs after the request.
        const submit = props.submit;
        const onClose = props.onClose;
        void form.submit(async (data) => {
          if (await submit(data.reason ?? null)) onClose();
        });
      }}
    >
      <p>{props.intro}</p>
      <FormError message={form.formError()} />
      <TextAreaField
        label="Reason (optional)"
        name="reason"
        rows={3}
        maxLength={REJECTION_REASON_MAX}
        hint={props.hint}
        value={() => form.values().reason}
        onInput={(v) => form.set('reason', v)}
        error={form.error('reason')}
      />
      <div class="form-actions">
        <Button onClick={props.onClose}>Cancel</Button>
        <Button type="submit" variant="danger" busy={form.busy()}>
          {props.submitLabel}
        </Button>
      </div>
    </form>
  );
}
