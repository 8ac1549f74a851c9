"""gunicorn settings for the web tier: `gunicorn -c gunicorn.conf.py wsgi:app`.
Every value can be overridden from the environment (GUNICORN_CMD_ARGS) or the command line."""
import multiprocessing
import os
import time
import types

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


# The environ variables gunicorn's own atoms read (glogging.Logger.atoms and _get_user)
ATOM_ENVIRON = ("REMOTE_ADDR", "REQUEST_METHOD", "RAW_URI", "SERVER_PROTOCOL", "PATH_INFO", "QUERY_STRING",
                "HTTP_REFERER", "HTTP_USER_AGENT", "HTTP_AUTHORIZATION")


class AccessLogger(glogging.Logger):
    """gunicorn's logger writing the same access lines for less: its own atoms, without the atom
    it makes of every request and response header and environ variable (each then escaped: a
    tenth of an accept), and the time once a second. A format naming a header or environ atom
    ({...}i/o/e) takes the stock way."""
    _second, _stamp = -1, ""

    def atoms(self, resp, req, environ, request_time):
        if "%({" in self.cfg.access_log_format:
            return super().atoms(resp, req, environ, request_time)
        bare = types.SimpleNamespace(status=resp.status, sent=getattr(resp, "sent", None), headers=())
        return super().atoms(bare, (), {k: environ[k] for k in ATOM_ENVIRON if k in environ}, request_time)

    def now(self):
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, super().now()
        return self._stamp


logger_class = AccessLogger


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
