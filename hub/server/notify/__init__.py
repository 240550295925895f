"""E-mail notifications: the outbox's messages (``hub.models.notifications``) read, each with
its recipient's rights, rendered from the templates beside this module, and sent over SMTP."""
