export { TextField, TextAreaField, SelectField, CheckboxField } from './Field';
export { PasswordFields } from './PasswordFields';
export { Button } from './Button';
export { Dialog } from './Dialog';
export { toast, dismissToast, Toaster, ToastDock } from './Toast';
export { StatusBadge, Badge, statusLabel } from './Badge';
export { FormError } from './FormError';
export { formatDate, formatDateTime, timeAgo } from './time';
export { Loading } from './Loading';
