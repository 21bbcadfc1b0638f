"""The Lambda service's own uses of a function's execution role, authorized as IAM would.

Lambda itself, not the function's code, uses the role: it delivers the function's logs to CloudWatch
Logs (CreateLogStream and PutLogEvents, CreateLogGroup when the group is missing) and a failed
asynchronous event to the dead-letter queue (SendMessage), and CreateFunction/UpdateFunctionConfiguration
check that the role may send to that queue. These calls never pass a container's IAM gateway
(emulator/iam/gateway.mjs), so they are decided here: the role's policies as iam_context.py reads them,
evaluated by emulator/iam/lambda-service.mjs (one long-lived node process with the gateway's evaluator,
which also writes each decision to KEYROT_IAM_LOG for the statement coverage replay). A decision stands
until a policy changes (iam_context's count), as the gateway keeps what it read. KEYROT_IAM=off allows all.
"""
import json
import os
import subprocess
import threading
from typing import Any

from . import iam_context

HELPER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "iam", "lambda-service.mjs")
_lock = threading.Lock()
_helper: subprocess.Popen[str] | None = None
_decisions: dict[str, dict[str, str]] = {}
_decided_at = -1
_next_id = 0


def enabled() -> bool:
    return os.environ.get("KEYROT_IAM", "on") != "off"


def _ask(request: dict[str, Any]) -> dict[str, str]:
    global _helper, _next_id
    with _lock:
        for attempt in range(2):
            if _helper is None or _helper.poll() is not None:
                # Its stdin is ours: it ends when the server does.
                _helper = subprocess.Popen(
                    ["node", HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
                )
            _next_id += 1
            try:
                assert _helper.stdin is not None and _helper.stdout is not None
                _helper.stdin.write(json.dumps({**request, "id": _next_id}) + "\n")
                _helper.stdin.flush()
                line = _helper.stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if line:
                return json.loads(line)
            _helper = None
        raise RuntimeError("the emulator's IAM helper (emulator/iam/lambda-service.mjs) did not answer")


def decide(account: str, region: str, role_arn: str, session_name: str, use: dict[str, Any]) -> dict[str, str]:
    """{result, action, resource}: the first check of the use that IAM refuses, else the last it allowed."""
    global _decided_at
    if not enabled():
        return {"result": "Allowed", "action": "", "resource": ""}
    generation = iam_context.generation()[0]
    if generation != _decided_at:
        _decisions.clear()
        _decided_at = generation
    # The generation in the key too: a decision made from policies read before a change is never reused.
    key = json.dumps([generation, account, region, role_arn, session_name, use], sort_keys=True)
    found = _decisions.get(key)
    if found is not None:
        return found
    role = iam_context.role_policies(account, role_arn)
    session = f"arn:aws:sts::{account}:assumed-role/{role_arn.split('/')[-1]}/{session_name[:64]}"
    decision = _ask(
        {
            "role": role_arn,
            "session": session,
            "account": account,
            "region": region,
            "policies": (role or {}).get("policies", []),
            "use": use,
        }
    )
    if decision.get("result") == "Error":
        raise RuntimeError(f"the emulator's IAM failed: {decision.get('error')}")
    _decisions[key] = decision
    return decision


def allowed(account: str, region: str, role_arn: str, session_name: str, use: dict[str, Any]) -> bool:
    return decide(account, region, role_arn, session_name, use)["result"] == "Allowed"


def reset() -> None:
    _decisions.clear()
