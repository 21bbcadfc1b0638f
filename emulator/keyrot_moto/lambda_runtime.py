"""Lambda: Node.js functions run out of process, as Lambda runs them, instead of in Docker.

moto runs a function's code only in Docker, which these machines lack. Here a function whose runtime
is nodejs* runs its deployment package (the zip given to CreateFunction: for keyrot, the esbuild
bundle the CDK app ships) in "containers": long-lived `node emulator/lambda-container.mjs` processes,
each running one invocation at a time and reused across invocations, like Lambda's execution
environments. What a function sees, as on Lambda:

- its configured Environment variables, AWS_REGION, AWS_LAMBDA_FUNCTION_NAME/VERSION/MEMORY_SIZE,
  _HANDLER, LAMBDA_TASK_ROOT, and credentials of its execution role (an STS session in the function's
  account, so its SDK calls land in that account); AWS_ENDPOINT_URL points the SDK at this server;
- a timeout (the function's Timeout): the invocation fails with "Task timed out" and the container is
  discarded; a container that dies fails its invocation the same way;
- concurrency: at most ReservedConcurrentExecutions containers when set, else at most
  KEYROT_LAMBDA_MAX_CONTAINERS (default 8, a limit of this machine, not of Lambda: beyond it an
  invocation waits for a free container instead of starting another process);
- logs: each container's stdout/stderr go to CloudWatch Logs, group /aws/lambda/NAME (or the
  LoggingConfig group), one stream per container, delivered as Lambda delivers them: with the execution
  role, which must be allowed logs:CreateLogStream and logs:PutLogEvents on the stream (and
  logs:CreateLogGroup when the group is missing), else they are dropped without a word
  (lambda_service_iam.py decides); a handler's error is logged as the Node.js runtime logs it.

Test-only: POST /_keyrot/lambda-faults {function, step, when: before|after, count} makes the next
invocations of that step fail, before the handler runs or after it ran (its writes done, the answer
lost): the faults Lambda has and SDK middleware can't reach inside a deployed bundle. With {"write": N}
the container itself dies (SIGKILL) just before its Nth write call from now is sent, or just after AWS
answered it: a crash between any two calls inside the bundle (lambda-container.mjs counts them).
GET /_keyrot/lambda-stats answers, per function of the account, its invocations, the most that ran at
once and the write calls they made.

invoke(function, event) is the in-server entry point (Secrets Manager's rotation uses it); the Lambda
Invoke API reaches the same path through LambdaFunction._invoke_lambda. An asynchronous Invoke
(InvocationType Event) answers 202 at once and runs the invocation in the background; a failed one is
tried twice more, after KEYROT_ASYNC_RETRY_SECONDS (default 60, then twice that), as Lambda retries
asynchronous invocations (moto runs them synchronously), then goes to the function's dead-letter queue
(lambda_dead_letters.py). Each invocation carries the
emulator's clock (clock.py), so the function's Date agrees with moto's dates on a simulated day.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.logs.models import logs_backends
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from . import clock, iam_context, lambda_dead_letters, lambda_service_iam

HERE = os.path.dirname(os.path.abspath(__file__))
CONTAINER_SCRIPT = os.path.join(os.path.dirname(HERE), "lambda-container.mjs")
CODE_ROOT = tempfile.mkdtemp(prefix="keyrot-lambda-")
INIT_TIMEOUT_S = 30


def _max_containers() -> int:
    try:
        return max(1, int(os.environ.get("KEYROT_LAMBDA_MAX_CONTAINERS", "8")))
    except ValueError:
        return 8


@dataclass
class Result:
    ok: bool
    payload: Any
    """The handler's return value when ok; else {errorType, errorMessage}."""
    writes: list[str] | None = None
    """The write calls the invocation made ("service:Operation"), when its container answered."""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def error_message(self) -> str:
        if self.ok or not isinstance(self.payload, dict):
            return ""
        return f"{self.payload.get('errorType', 'Error')}: {self.payload.get('errorMessage', '')}"


def _now_ms(account: str) -> int:
    return int(clock.now(account) * 1000)


class Container:
    """One execution environment: a node process that has loaded the handler once."""

    def __init__(self, pool: "Pool") -> None:
        self.pool = pool
        day = time.strftime("%Y/%m/%d", time.gmtime(clock.now(pool.fn.account_id)))
        self.stream = f"{day}/[$LATEST]{uuid.uuid4().hex}"
        read_fd, write_fd = os.pipe()
        env = pool.environment(self.stream)
        self.process = subprocess.Popen(
            ["node", CONTAINER_SCRIPT, pool.code_dir, pool.handler, str(write_fd)],
            cwd=pool.code_dir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            text=True,
            bufsize=1,
        )
        os.close(write_fd)
        self.answers = os.fdopen(read_fd, "r", buffering=1)
        self.alive = True
        threading.Thread(target=self._forward_logs, daemon=True, name="lambda-logs").start()
        first = self._read_answer(INIT_TIMEOUT_S)
        if first is None or not first.get("init"):
            self.kill()
            message = (first or {}).get("errorMessage", "the runtime did not start")
            raise RuntimeError(f"Runtime.InitError: {message}")

    def _forward_logs(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.pool.write_logs(self.stream, [line.rstrip("\n")])

    def _read_answer(self, timeout_s: float) -> dict[str, Any] | None:
        box: list[str] = []
        done = threading.Event()

        def read() -> None:
            try:
                box.append(self.answers.readline())
            except (OSError, ValueError):
                pass
            done.set()

        threading.Thread(target=read, daemon=True, name="lambda-answer").start()
        if not done.wait(timeout_s) or not box or box[0] == "":
            return None
        return json.loads(box[0])

    def run(self, event: Any, timeout_s: float, crash: dict[str, Any] | None = None) -> Result:
        request_id = str(uuid.uuid4())
        message = {
            "crash": crash,
            "id": request_id,
            "requestId": request_id,
            "event": event,
            "timeoutMs": int(timeout_s * 1000),
            # The emulator's simulated clock (clock.py): the function reads the time moto runs on.
            "clockOffsetMs": clock.offset_ms(self.pool.fn.account_id),
            # The emulator's IAM (iam_context.py): the container reads policies again when this moved.
            "iamGeneration": iam_context.generation(),
        }
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return Result(False, {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"}, None, request_id)
        answer = self._read_answer(timeout_s)
        if answer is None:
            # The answer pipe closes a moment before the process's exit status is there to read.
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            exited = self.process.poll() is not None
            self.kill()
            if exited:
                return Result(False, {"errorType": "Runtime.ExitError", "errorMessage": "the runtime exited"}, None, request_id)
            return Result(
                False,
                {"errorType": "Sandbox.Timedout", "errorMessage": f"Task timed out after {timeout_s:.2f} seconds"},
                None,
                request_id,
            )
        writes = [str(w) for w in answer.get("writes") or []]
        if answer.get("ok"):
            return Result(True, answer.get("result"), writes, request_id)
        error = {"errorType": answer.get("errorType"), "errorMessage": answer.get("errorMessage")}
        return Result(False, error, writes, request_id)

    def kill(self) -> None:
        self.alive = False
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


class Pool:
    """The containers of one function version (its code and configuration)."""

    def __init__(self, fn: LambdaFunction, code_dir: str) -> None:
        self.fn = fn
        self.code_dir = code_dir
        self.handler = fn.handler
        self.idle: list[Container] = []
        self.busy = 0
        # Test-only figures (GET /_keyrot/lambda-stats): invocations, and the most that ran at once.
        self.invocations = 0
        self.peak = 0
        self.write_log: list[str] = []
        reserved = fn.reserved_concurrency
        self.limit = int(reserved) if reserved else _max_containers()
        self.lock = threading.Condition()
        self.credentials = self._assume_role()
        self.log_group = (getattr(fn, "logging_config", None) or {}).get("LogGroup") or fn.logs_group_name

    def _assume_role(self) -> dict[str, str]:
        partition = get_partition(self.fn.region)
        sts = sts_backends[self.fn.account_id][partition]
        role = sts.assume_role(
            region_name=self.fn.region,
            role_session_name=self.fn.function_name[:64],
            role_arn=self.fn.role,
            policy="",
            duration=43200,
            external_id="",
        )
        return {
            "AWS_ACCESS_KEY_ID": role.access_key_id,
            "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
            "AWS_SESSION_TOKEN": role.session_token,
        }

    def environment(self, stream: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KEYROT_", "MOTO_", "NODE_"))}
        port = os.environ.get("MOTO_PORT", "5000")
        env.update(
            {
                "AWS_REGION": self.fn.region,
                "AWS_DEFAULT_REGION": self.fn.region,
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_LAMBDA_FUNCTION_NAME": self.fn.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.fn.memory_size),
                "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_LAMBDA_LOG_FORMAT": str((getattr(self.fn, "logging_config", None) or {}).get("LogFormat") or "Text"),
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{self.fn.run_time}",
                "KEYROT_FUNCTION_ARN": self.fn.function_arn,
                "LAMBDA_TASK_ROOT": self.code_dir,
                "_HANDLER": self.handler,
                **self.credentials,
            }
        )
        env.update({k: str(v) for k, v in (self.fn.environment_vars or {}).items()})
        # The emulator's IAM (emulator/iam/gateway.mjs) authorizes the function's calls as its role;
        # KEYROT_IAM=off in the server's environment turns it off, KEYROT_IAM_LOG records each decision.
        if os.environ.get("KEYROT_IAM", "on") != "off":
            env["KEYROT_IAM_ROLE"] = str(self.fn.role)
            if os.environ.get("KEYROT_IAM_GATEWAY"):
                env["KEYROT_IAM_GATEWAY"] = os.environ["KEYROT_IAM_GATEWAY"]
            if os.environ.get("KEYROT_IAM_LOG"):
                env["KEYROT_IAM_LOG"] = os.environ["KEYROT_IAM_LOG"]
        return env

    def write_logs(self, stream: str, lines: list[str]) -> None:
        if not lines:
            return
        try:
            with clock.for_account(self.fn.account_id):
                self._put_logs(stream, lines)
        except Exception:  # noqa: BLE001 - logs are best effort, as Lambda's are
            pass

    def _put_logs(self, stream: str, lines: list[str]) -> None:
        # On the account's clock: CloudWatch Logs refuses events dated far from its own now.
        logs = logs_backends[self.fn.account_id][self.fn.region]
        # Lambda delivers them with the execution role: without its permission they are dropped, silently.
        missing = self.log_group not in logs.groups
        use = {"kind": "logs", "group": self.log_group, "stream": stream, "createGroup": missing}
        if not lambda_service_iam.allowed(self.fn.account_id, self.fn.region, self.fn.role, self.fn.function_name, use):
            return
        if missing:
            logs.ensure_log_group(self.log_group)
        group = logs.groups[self.log_group]
        if stream not in group.streams:
            logs.create_log_stream(self.log_group, stream)
        now = _now_ms(self.fn.account_id)
        logs.put_log_events(self.log_group, stream, [{"timestamp": now, "message": m} for m in lines])

    def acquire(self) -> Container:
        with self.lock:
            while not self.idle and self.busy >= self.limit:
                self.lock.wait()
            self.busy += 1
            self.invocations += 1
            self.peak = max(self.peak, self.busy)
            container = self.idle.pop() if self.idle else None
        if container is not None:
            return container
        try:
            return Container(self)
        except Exception:
            with self.lock:
                self.busy -= 1
                self.lock.notify()
            raise

    def release(self, container: Container) -> None:
        with self.lock:
            self.busy -= 1
            if container.alive:
                self.idle.append(container)
            self.lock.notify()

    def invoke(self, event: Any, crash: dict[str, Any] | None = None) -> Result:
        try:
            container = self.acquire()
        except RuntimeError as error:
            return Result(False, {"errorType": "Runtime.InitError", "errorMessage": str(error)})
        try:
            result = container.run(event, float(self.fn.timeout), crash)
            with self.lock:
                self.write_log.extend(result.writes or [])
            return result
        finally:
            self.release(container)

    def close(self) -> None:
        with self.lock:
            for container in self.idle:
                container.kill()
            self.idle.clear()


_pools: dict[str, Pool] = {}
_pools_lock = threading.Lock()


def _code_dir(fn: LambdaFunction) -> str:
    digest = hashlib.sha256(fn.code_bytes).hexdigest()
    target = os.path.join(CODE_ROOT, digest[:24])
    if not os.path.isdir(target):
        staging = tempfile.mkdtemp(dir=CODE_ROOT)
        with zipfile.ZipFile(io.BytesIO(fn.code_bytes)) as archive:
            archive.extractall(staging)
        try:
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _pool_for(fn: LambdaFunction) -> Pool:
    config = json.dumps(
        [fn.function_arn, fn.code_sha_256, fn.handler, fn.environment_vars, fn.timeout, fn.reserved_concurrency, fn.role],
        sort_keys=True,
        default=str,
    )
    with _pools_lock:
        pool = _pools.get(config)
        if pool is None:
            # A new configuration is a new function version: the old containers are not reused.
            for key in [k for k, p in _pools.items() if p.fn.function_arn == fn.function_arn]:
                _pools.pop(key).close()
            pool = _pools[config] = Pool(fn, _code_dir(fn))
        return pool


def find_function(account_id: str, region: str, function: str) -> LambdaFunction | None:
    """A function by name or ARN, or None when it does not exist."""
    try:
        return lambda_backends[account_id][region].get_function(function, None)
    except Exception:  # noqa: BLE001 - moto raises several not-found types
        return None


def is_runnable(fn: LambdaFunction) -> bool:
    return str(fn.run_time or "").startswith("nodejs") and bool(fn.code_bytes)


# Test-only faults: (account, function name) -> list of {step, when, left}.
_faults: dict[tuple[str, str], list[dict[str, Any]]] = {}
_faults_lock = threading.Lock()
FAULTS_ROUTE = "{0}/_keyrot/lambda-faults$"


def _take_fault(fn: LambdaFunction, event: Any) -> str | None:
    step = event.get("Step") if isinstance(event, dict) else None
    with _faults_lock:
        for fault in _faults.get((fn.account_id, fn.function_name), []):
            if fault.get("write") is None and fault["left"] > 0 and fault.get("step") in (None, step):
                fault["left"] -= 1
                return str(fault.get("when", "before"))
    return None


def _write_crash(fn: LambdaFunction) -> dict[str, Any] | None:
    """An armed crash at the Nth write call since it was armed, as the next invocation's share of it."""
    with _faults_lock:
        for fault in _faults.get((fn.account_id, fn.function_name), []):
            if fault.get("write") is not None and fault["left"] > 0:
                return {"fault": fault, "atWrite": int(fault["write"]) - fault["seen"], "when": fault["when"]}
    return None


def _settle_crash(crash: dict[str, Any], result: Result) -> None:
    fault = crash["fault"]
    with _faults_lock:
        if result.writes is None:
            # The container died: at the armed write (a crash is the only way this runtime dies mid-call).
            fault["left"] -= 1
            fault["seen"] = 0
        else:
            fault["seen"] += len(result.writes)


def invoke(fn: LambdaFunction, event: Any) -> Result:
    """Runs one invocation synchronously in one of the function's containers."""
    if not is_runnable(fn):
        return Result(
            False,
            {"errorType": "Runtime.Unsupported", "errorMessage": f"the emulator runs nodejs zip functions only, not {fn.run_time}"},
        )
    fault = _take_fault(fn, event)
    if fault == "before":
        # The invocation failed before the handler ran (a throttle, an init failure, a crash at start).
        return Result(False, {"errorType": "Sandbox.Injected", "errorMessage": "injected failure before the handler ran"})
    crash = _write_crash(fn)
    result = _pool_for(fn).invoke(event, None if crash is None else {"atWrite": crash["atWrite"], "when": crash["when"]})
    if crash is not None:
        _settle_crash(crash, result)
    if fault == "after":
        # The handler ran (its writes are done) and then the invocation failed: a crash before answering.
        return Result(False, {"errorType": "Sandbox.Injected", "errorMessage": "injected failure after the handler ran"})
    return result


def faults_route(request: Any, full_url: str, headers: Any) -> Any:
    """Test-only: POST {function, step?, when: before|after, count} fails the next `count` matching invocations;
    with "write": N, the container crashes just before (or after) the Nth write call the function makes from now."""
    from moto.apigateway.exceptions import BadRequestException

    from .common import apigateway_request, json_response

    response = apigateway_request(request, full_url, headers)
    try:
        body = json.loads(response.body or "{}")
        key = (response.current_account, str(body["function"]).split(":")[-1])
        fault = {"step": body.get("step"), "when": body.get("when", "before"), "left": int(body.get("count", 1))}
        if body.get("write") is not None:
            fault.update(write=int(body["write"]), seen=0)
            if fault["write"] < 1:
                raise ValueError("write counts from 1")
    except (ValueError, KeyError, TypeError):
        raise BadRequestException('POST /_keyrot/lambda-faults takes {"function", "step", "when", "count"}') from None
    if fault["when"] not in ("before", "after"):
        raise BadRequestException("when is before or after")
    with _faults_lock:
        _faults.setdefault(key, []).append(fault)
    return json_response({"armed": fault})


STATS_ROUTE = "{0}/_keyrot/lambda-stats$"


def stats_route(request: Any, full_url: str, headers: Any) -> Any:
    """Test-only: per function of the caller's account, invocations run and the most that ran at once."""
    from .common import apigateway_request, json_response

    account = apigateway_request(request, full_url, headers).current_account
    functions: dict[str, dict[str, Any]] = {}
    with _pools_lock:
        for pool in _pools.values():
            if pool.fn.account_id != account:
                continue
            figures = functions.setdefault(pool.fn.function_name, {"invocations": 0, "peakConcurrency": 0, "writes": []})
            figures["invocations"] += pool.invocations
            figures["peakConcurrency"] = max(figures["peakConcurrency"], pool.peak)
            figures["writes"] += pool.write_log
    return json_response({"functions": functions})


def reset() -> None:
    """Stops every container and forgets armed faults (moto's reset: the functions are gone)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
    with _faults_lock:
        _faults.clear()


def _async_retry_s() -> float:
    try:
        return float(os.environ.get("KEYROT_ASYNC_RETRY_SECONDS", "60"))
    except ValueError:
        return 60.0


def invoke_async(fn: LambdaFunction, body: str | bytes) -> None:
    """An Event invocation: in the background, tried up to three times (Lambda's two retries), then
    to the dead-letter queue."""
    text = (body.decode() if isinstance(body, bytes) else body) or "{}"
    payload = json.loads(text)

    def attempts() -> None:
        delay = _async_retry_s()
        for attempt in range(3):
            result = invoke(fn, payload)
            if result.ok:
                return
            if attempt < 2:
                time.sleep(delay * (attempt + 1))
        message = str((result.payload or {}).get("errorMessage") or "") if isinstance(result.payload, dict) else ""
        lambda_dead_letters.deliver(fn, text, result.request_id, message)

    threading.Thread(target=attempts, daemon=True, name=f"async-{fn.function_name}").start()


def install() -> None:
    from moto.apigateway import urls

    urls.url_paths[FAULTS_ROUTE] = faults_route
    urls.url_paths[STATS_ROUTE] = stats_route
    original = LambdaFunction._invoke_lambda

    def _invoke_lambda(self: LambdaFunction, event: str | None = None) -> tuple[str, bool, str]:
        if not is_runnable(self):
            return original(self, event)
        payload = json.loads(event) if isinstance(event, str) and event else (event or {})
        result = invoke(self, payload)
        return json.dumps(result.payload), not result.ok, ""

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]

    synchronous = LambdaFunction.invoke

    def invoke_api(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
        kind = request_headers.get("x-amz-invocation-type") or request_headers.get("X-Amz-Invocation-Type")
        if kind != "Event" or not is_runnable(self):
            return synchronous(self, body, request_headers, response_headers)
        invoke_async(self, body)
        return ""

    LambdaFunction.invoke = invoke_api  # type: ignore[method-assign]
