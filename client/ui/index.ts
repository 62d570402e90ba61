export { TextField, TextAreaField, SelectField, CheckboxField } from './Field';
export type {
  MaybeAccessor,
  TextFieldProps,
  TextAreaFieldProps,
  SelectFieldProps,
  SelectOption,
  CheckboxFieldProps,
} from './Field';
export { Button } from './Button';
export type { ButtonProps, ButtonVariant } from './Button';
export { Dialog } from './Dialog';
export type { DialogProps } from './Dialog';
export { toast, dismissToast, clearToasts, toasts, Toaster } from './Toast';
export type { ToastKind, ToastItem } from './Toast';
export { StatusBadge, Badge, statusLabel, STATUS_LABELS } from './Badge';
export type { Status } from './Badge';
export { FormError } from './FormError';
export { formatDate, formatDateTime, timeAgo, isoString } from './time';
export type { DateInput } from './time';
export { Loading } from './Loading';
export { PasswordFields } from './PasswordFields';
