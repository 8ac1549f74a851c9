"""gunicorn settings for the web tier: `gunicorn -c gunicorn.conf.py wsgi:app`.
Every value can be overridden from the environment (GUNICORN_CMD_ARGS) or the command line."""
import multiprocessing
import os

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


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, forget a dead worker's live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)
