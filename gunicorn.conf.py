"""gunicorn settings for the web tier: `gunicorn -c gunicorn.conf.py wsgi:app`.
Every value can be overridden from the environment (GUNICORN_CMD_ARGS) or the command line."""
import multiprocessing
import os
import re
import time

from gunicorn import glogging

bind = os.environ.get("GATEPOST_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("GATEPOST_WEB_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GATEPOST_WEB_THREADS", 4))  # requests wait on the database, not the CPU
timeout = 30  # a request that takes longer is a bug or a dead database: let the worker be replaced
graceful_timeout = 30
keepalive = 5
max_requests = 10000  # recycle workers now and then, whatever leaks
max_requests_jitter = 1000
accesslog = "-"
# %(U)s is the path without its query string: Octeth clients put APIKey and SessionID there
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
forwarded_allow_ips = os.environ.get("GATEPOST_TRUSTED_PROXIES", "127.0.0.1")


class AccessLogger(glogging.Logger):
    """gunicorn's logger writing the same access lines for less: only the atoms the format
    names are worked out (the stock one makes an atom of every request and response header and
    every environ variable, then escapes them all: a tenth of an accept), and the time once a
    second. A format naming a header or environ atom ({...}i/o/e) takes the stock way."""
    _second, _stamp = -1, ""

    def atoms(self, resp, req, environ, request_time):
        names = _atom_names(self.cfg.access_log_format)
        if names is None:
            return super().atoms(resp, req, environ, request_time)
        return {name: ATOMS[name](self, resp, environ, request_time) for name in names}

    def now(self):
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, super().now()
        return self._stamp


def _status(resp):
    return resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status


ATOMS = {  # glogging.Logger.atoms, one by one
    "h": lambda log, resp, environ, took: environ.get("REMOTE_ADDR", "-"),
    "l": lambda log, resp, environ, took: "-",
    "u": lambda log, resp, environ, took: log._get_user(environ) or "-",
    "t": lambda log, resp, environ, took: log.now(),
    "r": lambda log, resp, environ, took: "%s %s %s" % (environ["REQUEST_METHOD"], environ["RAW_URI"],
                                                        environ["SERVER_PROTOCOL"]),
    "s": lambda log, resp, environ, took: _status(resp),
    "m": lambda log, resp, environ, took: environ.get("REQUEST_METHOD"),
    "U": lambda log, resp, environ, took: environ.get("PATH_INFO"),
    "q": lambda log, resp, environ, took: environ.get("QUERY_STRING"),
    "H": lambda log, resp, environ, took: environ.get("SERVER_PROTOCOL"),
    "b": lambda log, resp, environ, took: getattr(resp, "sent", None) is not None and str(resp.sent) or "-",
    "B": lambda log, resp, environ, took: getattr(resp, "sent", None),
    "f": lambda log, resp, environ, took: environ.get("HTTP_REFERER", "-"),
    "a": lambda log, resp, environ, took: environ.get("HTTP_USER_AGENT", "-"),
    "T": lambda log, resp, environ, took: took.seconds,
    "D": lambda log, resp, environ, took: (took.seconds * 1000000) + took.microseconds,
    "M": lambda log, resp, environ, took: (took.seconds * 1000) + int(took.microseconds / 1000),
    "L": lambda log, resp, environ, took: "%d.%06d" % (took.seconds, took.microseconds),
    "p": lambda log, resp, environ, took: "<%s>" % os.getpid(),
}
_NAMES: dict[str, tuple[str, ...] | None] = {}


def _atom_names(format: str) -> tuple[str, ...] | None:
    """The atoms `format` names, when all are in ATOMS (a name it lacks prints "-" either way)."""
    if format not in _NAMES:
        names = tuple(dict.fromkeys(re.findall(r"%\((.*?)\)", format)))
        _NAMES[format] = None if any(n.startswith("{") for n in names) else tuple(n for n in names if n in ATOMS)
    return _NAMES[format]


logger_class = AccessLogger


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
