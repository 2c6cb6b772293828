"""In-app notifications with an unread count, and notification e-mail through an outbox of mails."""
