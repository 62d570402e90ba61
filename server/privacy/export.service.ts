import { IsolationLevel } from '@mikro-orm/core';
import type { AppServices } from '../app-services.js';
import type { PersonExport } from '../../shared/schemas/audit.js';
import { AppError } from '../errors.js';
import { personEvents } from '../audit/audit.repository.js';
import { userAnswers } from '../users/registration-answers.service.js';
import { anyEventAbout, emailsTo, profileRow, sessionsOf, termsEvidenceOf } from './privacy.repository.js';

const iso = (d: Date | string) => new Date(d).toISOString();
const isoOrNull = (d: Date | string | null) => (d === null ? null : iso(d));

/**
 * Export (GDPR access request, Art. 15): what Admit holds about one person, as one JSON document:
 * the profile, the answers to the sign-up fields, the organisation, terms acceptances (with IP and
 * user agent), sessions, every event about them or by them, and the emails sent to them. Works for
 * a deleted account too (its events and emails remain). Read in one repeatable-read transaction,
 * so the parts agree with each other.
 */
export async function exportPerson(app: AppServices, userId: string): Promise<PersonExport> {
  return app.em().transactional(
    async (tx) => {
      const profile = await profileRow(tx, userId);
      if (!profile && !(await anyEventAbout(tx, userId))) throw new AppError('NOT_FOUND', 'NOT_FOUND', 'Nothing is known about this person');
      const [answers, terms, sessions, events, emails] = [
        profile ? await userAnswers(tx, userId) : { items: [] },
        await termsEvidenceOf(tx, userId),
        await sessionsOf(tx, userId),
        await personEvents(tx, userId),
        await emailsTo(tx, userId),
      ];
      return {
        format: 'admit-person-export/1' as const,
        exportedAt: app.clock.now().toISOString(),
        userId,
        profile: profile && {
          email: profile.email,
          firstName: profile.first_name,
          lastName: profile.last_name,
          role: profile.role,
          status: profile.status,
          mustChangePassword: profile.must_change_password,
          rejectionReason: profile.rejection_reason,
          emailVerifiedAt: isoOrNull(profile.email_verified_at),
          createdAt: iso(profile.created_at),
          updatedAt: iso(profile.updated_at),
        },
        organisation: profile ? { id: profile.organisation_id, name: profile.organisation_name } : null,
        customFields: answers.items.map((a) => ({ key: a.key, label: a.label, value: a.value })),
        termsAcceptances: terms.map((t) => ({
          versionId: t.version_id,
          title: t.title,
          acceptedAt: iso(t.accepted_at),
          ip: t.ip,
          userAgent: t.user_agent,
        })),
        sessions: sessions.map((s) => ({
          createdAt: iso(s.created_at),
          lastSeenAt: iso(s.last_seen_at),
          expiresAt: iso(s.expires_at),
          ip: s.ip,
          userAgent: s.user_agent,
        })),
        events: events.map((e) => ({
          id: e.id,
          type: e.type,
          createdAt: e.createdAt,
          role: e.target?.id === userId ? (e.actor?.id === userId ? ('both' as const) : ('subject' as const)) : ('actor' as const),
          sentence: e.sentence,
          data: e.data,
        })),
        emails: emails.map((m) => ({
          id: Number(m.id),
          template: m.template,
          to: m.to_address,
          subject: m.subject,
          status: m.status,
          createdAt: iso(m.created_at),
          sentAt: isoOrNull(m.sent_at),
        })),
      };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ },
  );
}
