#!/usr/bin/env python3
"""moto server with keyrot's extension.

Registers, on moto's own backends, the API Gateway and Secrets Manager behaviour that keyrot
depends on and moto 5.2 lacks or gets wrong (see keyrot_moto/), then runs moto's server with the
same arguments as `python3 -m moto.server`:

    python3 emulator/launcher.py -H 127.0.0.1 -p 5000

The request log (a line per request, on stderr) is written only with KEYROT_REQUEST_LOG=1
(`npm run emulator -- --verbose`): formatting and writing it cost the server a third of its time.
Errors and tracebacks are logged either way.

If KEYROT_PARENT_PID is set, the server exits when that process is gone, so an emulator whose
starter was killed (a test runner stopped with SIGKILL, say) does not keep its port forever.

    python3 emulator/launcher.py --fork-server SOCKET

runs the fork server instead (fork_server.py): with KEYROT_FORK_SERVER=SOCKET in its environment, a
launcher has the emulator forked from it, already past moto's imports, and stands for it.
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fork_server  # noqa: E402
import keyrot_moto  # noqa: E402


def _exit_with_parent(parent_pid: int) -> None:
    def watch() -> None:
        while True:
            time.sleep(1)
            if not fork_server.alive(parent_pid):
                os._exit(0)

    threading.Thread(target=watch, name="keyrot-parent-watch", daemon=True).start()


def _quiet_request_log() -> None:
    from werkzeug.serving import WSGIRequestHandler

    WSGIRequestHandler.log_request = lambda self, code="-", size="-": None  # type: ignore[method-assign]


def start(argv: list[str]) -> None:
    """The emulator, in this process: the extension installed, then moto's server (until it stops)."""
    keyrot_moto.install()
    if os.environ.get("KEYROT_REQUEST_LOG") != "1":
        _quiet_request_log()
    parent = os.environ.get("KEYROT_PARENT_PID", "")
    if parent.isdigit():
        _exit_with_parent(int(parent))

    from moto.server import main

    main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--fork-server"] and len(sys.argv) == 3:
        fork_server.serve(sys.argv[2], start)
    forked = os.environ.get("KEYROT_FORK_SERVER", "")
    code = fork_server.run_via(forked, sys.argv[1:]) if forked else None
    if code is not None:
        sys.exit(code)
    start(sys.argv[1:])
