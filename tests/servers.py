"""Real servers on loopback for the tests: the one import point of the test modules.

Dovecot (IMAP, servers_dovecot.py), PostgreSQL (the shared store, servers_postgres.py),
aiosmtpd (SMTP, servers_smtp.py), pymap (IMAP that drops custom keywords,
servers_pymap.py), a TCP relay that cuts connections (servers_proxy.py). Every server
goes away with the test process, however it ends (servers_lifeline.py).

No mocks: protocol code is tested against what it will meet in production (Dovecot)
and against the odd one out (pymap, which drops custom keywords).
"""

from servers_dovecot import Dovecot, dovecot_missing
from servers_dovecot_conf import DovecotOptions
from servers_postgres import Postgres, postgres_missing
from servers_proxy import TcpProxy
from servers_pymap import Pymap
from servers_smtp import Received, SmtpCatcher

from inboxbot.tools.demo import free_port

__all__ = ["Dovecot", "DovecotOptions", "Postgres", "Pymap", "Received", "SmtpCatcher", "TcpProxy",
           "dovecot_missing", "free_port", "postgres_missing"]
