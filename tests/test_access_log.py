"""gunicorn.conf.py's access logger writes the lines gunicorn's own writes, for less work."""
import datetime
import importlib.util
from pathlib import Path

import pytest
from gunicorn import glogging
from gunicorn.config import Config

ROOT = Path(__file__).resolve().parents[1]


def _conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Response:
    status = "201 CREATED"
    sent = 52
    headers = [("Content-Type", "application/json"), ("X-Request-ID", 'a"b')]


class Request:
    headers = [("HOST", "example.com"), ("USER-AGENT", 'curl/8 "x"'), ("AUTHORIZATION", "Bearer k")]


ENVIRON = {"REMOTE_ADDR": "10.0.0.9", "REQUEST_METHOD": "POST", "RAW_URI": "/api.php?APIKey=secret",
           "PATH_INFO": "/api.php", "QUERY_STRING": "APIKey=secret", "SERVER_PROTOCOL": "HTTP/1.1",
           "HTTP_USER_AGENT": 'curl/8 "x"', "HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz", "HTTP_HOST": "example.com"}


def _lines(logger_class, tmp_path, format):
    path = tmp_path / f"{logger_class.__name__}.log"
    cfg = Config()
    cfg.set("accesslog", str(path))
    cfg.set("access_log_format", format)
    log = logger_class(cfg)
    log.access(Response(), Request(), ENVIRON, datetime.timedelta(seconds=1, microseconds=234567))
    log.access(Response(), Request(), dict(ENVIRON, REMOTE_ADDR="::1"), datetime.timedelta(microseconds=999))
    for handler in log.access_log.handlers:
        handler.flush()
    return path.read_text()


@pytest.mark.parametrize("format", [
    _conf().access_log_format,
    Config().access_log_format,  # gunicorn's default
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(B)s "%(f)s" "%(a)s" %(T)s %(D)s %(M)s %(L)s %(p)s %(q)s %(x)s',
    '%(h)s "%({user-agent}i)s" %({x-request-id}o)s %({raw_uri}e)s %({missing}i)s',
])
def test_the_same_lines_as_gunicorns_logger(tmp_path, format):
    conf = _conf()
    assert conf.logger_class is conf.AccessLogger
    ours, theirs = _lines(conf.AccessLogger, tmp_path, format), _lines(glogging.Logger, tmp_path, format)
    assert ours == theirs and ours.count("\n") == 2
