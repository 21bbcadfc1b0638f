"""A fork server for emulators: each new moto server is forked from a process that has imported moto.

Starting a server costs about a CPU-second, most of it importing moto and its backends; the test suite
starts about twenty (each lifecycle file runs its own, test/support/deployed.ts). The integration
tests' global setup starts this process once (`launcher.py --fork-server SOCKET`); it imports what
install() and moto's server need, without running any of it (no patch, no thread), and waits on a
Unix socket. A launcher started with KEYROT_FORK_SERVER=SOCKET in its environment hands it its command
line, environment, working directory and standard streams, and the server forks a child that becomes
the emulator, exactly as `launcher.py` would start it in a process of its own: install() with that
environment, moto's server on the requested port. Nothing of one emulator is shared with another: each
child has its own backends, threads and Lambda containers, and its own random generators (reseeded:
forked generators would hand two emulators the same key values in the same order).

The launcher stays as the emulator's process for whoever started it: signals it receives go to the
child's process group (the child and the containers it runs), and it exits with the child's status.
If the launcher dies (SIGKILL), the fork server ends the child; the child also exits when
KEYROT_PARENT_PID is gone, as any emulator does. When the socket is not there (or refuses), the
launcher starts the emulator in its own process as before.
"""
import importlib
import json
import os
import pkgutil
import selectors
import signal
import socket
import sys
from typing import Callable

# The request: one JSON message with the three standard streams attached (SCM_RIGHTS).
_MAX_MESSAGE = 1 << 20
# The services keyrot, its tests and its functions call (what _warm_up prepares).
_SERVICES = (
    "apigateway", "secretsmanager", "lambda", "iam", "sts", "logs", "events", "s3", "sqs", "kms",
    "securityhub", "monitoring",
)
# The signals this process handles (the children's default handlers are restored).
_HANDLED = {signal.SIGTERM, signal.SIGINT, signal.SIGCHLD}


def _preload() -> None:
    """What install() and moto's server import, imported once here (nothing patched, nothing started)."""
    import moto.server  # noqa: F401
    import werkzeug.serving  # noqa: F401

    import keyrot_moto

    # Every module of the extension (install() uses them all), and the parts of moto they import.
    for module in pkgutil.iter_modules(keyrot_moto.__path__):
        importlib.import_module(f"keyrot_moto.{module.name}")


def _warm_up() -> None:
    """Builds, once and thrown away, the WSGI apps of the services keyrot calls: a server's first call
    to each then finds werkzeug's routing and its compiled patterns ready (a fifth of a second, once
    per server). No backend is made, and install() patches the server's own apps as usual."""
    from moto.server import DomainDispatcherApplication, create_backend_app

    app = DomainDispatcherApplication(create_backend_app)
    for service in _SERVICES:
        app.get_application(
            {
                "HTTP_HOST": f"{service}.us-east-1.amazonaws.com",
                "PATH_INFO": "/",
                "REQUEST_METHOD": "GET",
                "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request",
            }
        )


def _reseed() -> None:
    import random

    from moto.moto_api._internal import mock_random

    random.seed()
    mock_random.seed(int.from_bytes(os.urandom(16), "big"))


def _recv_request(conn: socket.socket) -> tuple[dict, list[int]]:
    message, fds, _flags, _addr = socket.recv_fds(conn, _MAX_MESSAGE, 3)
    return json.loads(message.decode()), list(fds)


def _run_child(request: dict, fds: list[int], start: Callable[[list[str]], None]) -> None:
    """In the forked child: become the emulator the launcher asked for. Never returns."""
    code = 1
    try:
        os.setsid()  # a process group of its own: the launcher signals it, containers included
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        _reseed()
        start(request["argv"])
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported on the launcher's stderr, as a start in place would
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve(path: str, start: Callable[[list[str]], None]) -> None:
    """Forks an emulator per request on the Unix socket `path`; exits when KEYROT_PARENT_PID is gone."""
    _preload()
    _warm_up()
    parent = os.environ.get("KEYROT_PARENT_PID", "")
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    children: dict[int, socket.socket] = {}  # child pid -> its launcher's connection
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    # A child's exit wakes the loop at once (its launcher is waiting to exit with it).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_args: None)
    selector.register(wake_read, selectors.EVENT_READ)

    def end(*_args: object) -> None:
        for pid in list(children):
            _signal_group(pid, signal.SIGTERM)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os._exit(0)

    signal.signal(signal.SIGTERM, end)
    signal.signal(signal.SIGINT, end)

    while True:
        for key, _events in selector.select(timeout=0.5):
            if key.fileobj == wake_read:
                try:
                    os.read(wake_read, 512)
                except BlockingIOError:
                    pass
            elif key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    request, fds = _recv_request(conn)
                except (OSError, ValueError):
                    conn.close()
                    continue
                # No handler of this process may run in the child: signals wait until it has its own.
                signal.pthread_sigmask(signal.SIG_BLOCK, _HANDLED)
                pid = os.fork()
                if pid == 0:
                    for sig in _HANDLED:
                        signal.signal(sig, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
                    signal.set_wakeup_fd(-1)
                    os.close(wake_read)
                    os.close(wake_write)
                    selector.close()
                    listener.close()
                    for other in children.values():
                        other.close()
                    conn.close()
                    _run_child(request, fds, start)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, _HANDLED)
                for fd in fds:
                    os.close(fd)
                children[pid] = conn
                print(f"forked emulator {pid} for launcher {request.get('launcher')}", file=sys.stderr)
                conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
                selector.register(conn, selectors.EVENT_READ, pid)
            else:
                # The launcher never writes after its request: readable means it is gone.
                pid = key.data
                selector.unregister(key.fileobj)
                _signal_group(pid, signal.SIGTERM)
        _reap(children, selector)
        if parent.isdigit() and not alive(int(parent)):
            end()


def _reap(children: dict[int, socket.socket], selector: selectors.BaseSelector) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is None:
            continue
        try:
            selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        try:
            conn.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        except OSError:
            pass
        conn.close()


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def alive(pid: int) -> bool:
    """Whether process `pid` exists (owned by someone else counts)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def run_via(path: str, argv: list[str]) -> int | None:
    """In a launcher: has the fork server start the emulator and stands for it. None: no fork server."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd(), "launcher": os.getpid()}
        socket.send_fds(conn, [json.dumps(request).encode()], [0, 1, 2])
        reader = conn.makefile("r")
        first = reader.readline()
    except OSError:
        conn.close()
        return None
    if first == "":
        conn.close()
        return None
    pid = int(json.loads(first)["pid"])

    def forward(sig: int, _frame: object) -> None:
        _signal_group(pid, sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    for line in reader:
        message = json.loads(line)
        if "exit" in message:
            code = int(message["exit"])
            # A child ended by a signal: exit as a shell reports it (128 + N).
            return code if code >= 0 else 128 - code
    return 1  # the fork server is gone, and the child with it

