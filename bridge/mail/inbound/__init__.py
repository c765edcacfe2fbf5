"""Email customers send us: read from an IMAP mailbox or received over SMTP."""
