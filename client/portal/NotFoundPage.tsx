import { AuthLayout } from './AuthLayout';

export default function NotFoundPage() {
  return (
    <AuthLayout title="Page not found" subtitle="The page you were looking for does not exist or has moved.">
      <a class="btn btn-primary" href="/">
        Go to the start page
      </a>
    </AuthLayout>
  );
}
