"""Keep-alive connections: the SDK's clients reuse a connection for their next call, as they do with AWS.

werkzeug's server answers every request with `Connection: close` (its http.server base can't tell where
an unread request body ends), so each SDK call opened a connection and the server a thread for it:
a connect, a thread start and a teardown per call, on both sides, for every one of the suite's calls.

Here a request whose body has a Content-Length is read whole before the application sees it (from a
buffer, so whatever the application leaves unread can't be taken for the next request line), and its
answer keeps the connection open. Chunked bodies and `Expect: 100-continue` keep werkzeug's behaviour
(the connection closes after the answer), as do clients that ask to close.

An idle connection is closed after IDLE_SECONDS, announced in `Keep-Alive: timeout=N`. The SDK's agent
(Node's, with no timeout of its own) does not shorten its wait to that hint, so the timeout is long: a
client reusing a connection at the very moment the server closes it would see a reset.
"""
import io
from typing import Any

IDLE_SECONDS = 120


def install() -> None:
    from werkzeug.serving import WSGIRequestHandler

    run_wsgi = WSGIRequestHandler.run_wsgi
    send_header = WSGIRequestHandler.send_header
    log_error = WSGIRequestHandler.log_error

    def buffered_run_wsgi(self: Any) -> None:
        length = self.headers.get("Content-Length")
        self.keyrot_keep_alive = (
            not self.close_connection
            and "chunked" not in self.headers.get("Transfer-Encoding", "").lower()
            and self.headers.get("Expect", "").strip().lower() != "100-continue"
            and (length is None or length.strip().isdigit())
        )
        if not self.keyrot_keep_alive:
            return run_wsgi(self)
        size = int(length) if length else 0
        body = self.rfile.read(size) if size else b""
        if len(body) < size:
            # The client went away mid-body: answer nothing more on this connection.
            self.close_connection = True
            self.keyrot_keep_alive = False
        stream = self.rfile
        self.rfile = io.BufferedReader(io.BytesIO(body))  # type: ignore[arg-type]
        try:
            run_wsgi(self)
        finally:
            self.rfile = stream

    def keep_alive_header(self: Any, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and getattr(self, "keyrot_keep_alive", False):
            send_header(self, "Keep-Alive", f"timeout={IDLE_SECONDS}")
            return
        send_header(self, keyword, value)

    def quiet_idle_close(self: Any, format: str, *args: Any) -> None:
        # An idle keep-alive connection timing out is not an error.
        if format.startswith("Request timed out"):
            return
        log_error(self, format, *args)

    WSGIRequestHandler.run_wsgi = buffered_run_wsgi  # type: ignore[method-assign]
    WSGIRequestHandler.send_header = keep_alive_header  # type: ignore[method-assign]
    WSGIRequestHandler.log_error = quiet_idle_close  # type: ignore[method-assign]
    WSGIRequestHandler.timeout = IDLE_SECONDS
    # The status line and headers, then the body, are separate sends: with Nagle's algorithm on, the
    # body waits for the client's delayed ACK of the headers (40 ms a call) once the connection stays open.
    WSGIRequestHandler.disable_nagle_algorithm = True
