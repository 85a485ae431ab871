"""Email to admins over SMTP (DESIGN.md ``notify/``): settings, a message, a mailer."""

from .smtp import Email, Mailer, MailError, SmtpMailer, SmtpSettings

__all__ = ["Email", "MailError", "Mailer", "SmtpMailer", "SmtpSettings"]
