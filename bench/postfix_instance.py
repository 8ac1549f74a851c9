"""A private, throw-away Postfix instance for the delivery benchmark: its own config directory,
queue directory and data directory under a temp dir, an smtpd on a free loopback port, relaying
everything to one loopback host:port (the benchmark's SMTP sink). The system Postfix (if any) is
neither read from nor touched: its config, queue and service are left alone.

    ensure_installed()  -> None, or why Postfix cannot be used (it installs the Debian package
                           when it is missing and we are root)
    with PrivatePostfix(relay_port=...) as postfix:   # started; stopped and removed on exit
        smtplib.SMTP(postfix.host, postfix.port) ...
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


def _which(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(SBIN))


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


def version() -> str:
    postconf = _which("postconf")
    if not postconf:
        return "unknown"
    # -d: the compiled-in default, so no main.cf (ours or the system's) is needed
    return _run([postconf, "-d", "-h", "mail_version"]).stdout.strip() or "unknown"


def ensure_installed() -> str | None:
    """Install the Debian package if `postfix` is missing; None when usable, else the reason."""
    if _which("postfix") and _which("postconf"):
        return None
    if os.geteuid() != 0:
        return "postfix is not installed and installing it needs root"
    if not _which("apt-get"):
        return "postfix is not installed and there is no apt-get"
    print("bench: postfix is not installed; installing the Debian package (No configuration, service not started)",
          flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # "No configuration": the package writes no /etc/postfix/main.cf, so it sets up no system MTA.
    preseed = ("postfix postfix/main_mailer_type select No configuration\n"
               "postfix postfix/mailname string bench.invalid\n")
    # invoke-rc.d must not start the system service during the install: a temporary policy-rc.d
    # that forbids it (only when there is none already; removed again below).
    policy_added = False
    try:
        _run(["debconf-set-selections"], input=preseed, env=env)
        if not POLICY_RC_D.exists():
            POLICY_RC_D.write_text("#!/bin/sh\n# gatepost bench: no service starts while postfix installs\nexit 101\n")
            POLICY_RC_D.chmod(0o755)
            policy_added = True
        update = _run(["apt-get", "update", "-qq"], env=env)
        if update.returncode != 0:
            print(f"bench: apt-get update failed: {update.stderr.strip()[-500:]}", flush=True)
        # --no-remove: never let the install take another MTA off the machine
        install = _run(["apt-get", "install", "-y", "-qq", "--no-remove", "--no-install-recommends", "postfix"],
                       env=env)
        if install.returncode != 0:
            return f"apt-get install postfix failed: {(install.stderr or install.stdout).strip()[-500:]}"
    except OSError as exc:
        return f"installing postfix failed: {exc}"
    finally:
        if policy_added:
            POLICY_RC_D.unlink(missing_ok=True)
    if not (_which("postfix") and _which("postconf")):
        return "postfix was installed but its commands are not on the PATH"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostfix:
    """`postfix -c <tmp>/etc start`: main.cf written here, master.cf copied from the package's and
    edited with `postconf -M/-F`; no local delivery, everything relayed to [127.0.0.1]:relay_port."""

    def __init__(self, relay_port: int, *, concurrency: int = 20):
        self.host, self.port = "127.0.0.1", free_port()
        self.relay_port, self.concurrency = relay_port, concurrency
        self.root = Path(tempfile.mkdtemp(prefix="gatepost-bench-postfix-"))
        self.config_dir, self.queue_dir, self.data_dir = self.root / "etc", self.root / "spool", self.root / "lib"
        self.maillog = self.root / "maillog"
        self.postfix, self.postconf = _which("postfix"), _which("postconf")
        self.started = False
        self.settings: dict[str, str] = {}

    # -- configuration -------------------------------------------------------------------------

    def _postconf(self, *args: str) -> str:
        result = _run([self.postconf, "-c", str(self.config_dir), *args])
        if result.returncode != 0:
            raise RuntimeError(f"postconf {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def configure(self) -> None:
        # The daemons run as the postfix user: it must be able to reach the queue and data directories.
        self.root.chmod(0o755)
        for d in (self.config_dir, self.queue_dir, self.data_dir):
            d.mkdir(mode=0o755)
        shutil.chown(self.data_dir, "postfix")
        master = next((p for p in (Path("/etc/postfix/master.cf"), Path("/usr/share/postfix/master.cf.dist"))
                       if p.exists()), None)
        if master is None:
            raise RuntimeError("no master.cf to start from (/etc/postfix/master.cf, /usr/share/postfix/master.cf.dist)")
        shutil.copy(master, self.config_dir / "master.cf")
        (self.config_dir / "main.cf").write_text("# private Postfix instance of bench/bench_delivery.py\n")
        self.settings = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "myhostname": "postfix.bench.invalid",
            "mydomain": "bench.invalid",
            "myorigin": "$myhostname",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "relayhost": f"[127.0.0.1]:{self.relay_port}",
            "relay_domains": "",
            # no local delivery at all, no alias database
            "local_transport": "error:local delivery is disabled",
            "alias_maps": "",
            "alias_database": "",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "smtp_dns_support_level": "disabled",  # the relay host is an IP literal; no DNS at all
            "default_destination_concurrency_limit": str(self.concurrency),
            "biff": "no",
            # Postfix >= 3.4 logs through postlogd to a file: there is no syslog daemon to rely on
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),  # the default allows only /var and /dev/stdout
        }
        self._postconf("-e", *(f"{k}={v}" for k, v in self.settings.items()))
        # master.cf: no smtpd on port 25, one on our loopback port; no chroot (the queue is in a
        # temp dir, not Debian's prepared /var/spool/postfix); postlogd for maillog_file.
        self._postconf("-M#", "smtp/inet")
        self._postconf("-M", f"{self.host}:{self.port}/inet={self.host}:{self.port} inet n - n - - smtpd")
        self._postconf("-F", "*/*/chroot=n")
        if "postlog/unix-dgram" not in self._postconf("-M"):
            self._postconf("-M", "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd")

    # -- life cycle --------------------------------------------------------------------------------

    def _command(self, *args: str) -> subprocess.CompletedProcess:
        return _run([self.postfix, "-c", str(self.config_dir), *args])

    def _master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start(self) -> "PrivatePostfix":
        self.configure()
        # create-missing makes the queue subdirectories with the right owners; check then catches
        # any configuration error before start
        for step in (("post-install", "create-missing"), ("check",), ("start",)):
            result = self._command(*step)
            if result.returncode != 0:
                raise RuntimeError(f"postfix -c {self.config_dir} {' '.join(step)} failed: "
                                   f"{(result.stderr + result.stdout).strip()[-800:]}\n{self.log_tail()}")
        self.started = True
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(512).startswith(b"220"):
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the private postfix did not answer on {self.host}:{self.port}\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop this instance (only its own master, by the pid in its own queue) and delete its files."""
        try:
            if self.started:
                pid = self._master_pid()
                self._command("stop")
                deadline = time.monotonic() + 15
                while pid and _alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.1)
                if pid and _alive(pid):
                    self._command("abort")
                    time.sleep(1)
                    if _alive(pid):
                        os.kill(pid, signal.SIGKILL)
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.maillog.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no maillog)"

    def queue_size(self) -> int:
        count = 0
        for name in ("maildrop", "incoming", "active", "deferred", "hold"):
            for _, _, files in os.walk(self.queue_dir / name):
                count += len(files)
        return count

    def __enter__(self) -> "PrivatePostfix":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is not alive for our purposes
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False

