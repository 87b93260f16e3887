"""The network edges: the shared mailbox over IMAP, sending over SMTP, mail read from disk."""
