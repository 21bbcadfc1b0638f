"""Security Hub BatchImportFindings and GetFindings as the API reference describes them, for what keyrot uses.

moto 5.2.1 ignores GetFindings filters, accepts imports into an account that has not enabled Security Hub,
overwrites a finding on every import (losing CreatedAt and the customer's fields) and never changes the
workflow. After the API reference (BatchImportFindings, GetFindings, AwsSecurityFindingFilters,
StringFilter, WorkflowUpdate) and the user guide ("BatchImportFindings for finding providers",
"Required top-level ASFF attributes"):

- Security Hub is per account and region: with it not enabled there (EnableSecurityHub), both calls
  answer InvalidAccessException (HTTP 401), "Account ... is not subscribed to AWS Security Hub".
- BatchImportFindings takes 1 to 100 findings (more: InvalidInputException for the request). The caller's
  account imports into its own default product only: a ProductArn other than
  arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default, or an AwsAccountId other than the
  caller's, is AccessDeniedException for the request (as AWS answers a finding for another account).
- A finding missing a required attribute (AwsAccountId, CreatedAt, Description, GeneratorId, Id,
  ProductArn, Resources (1 to 32), SchemaVersion, Severity (or FindingProviderFields.Severity), Title,
  Types (or FindingProviderFields.Types), UpdatedAt) is returned in FailedFindings (InvalidInput) and
  the others are imported.
- An update (same ProductArn and Id) keeps CreatedAt and the fields a provider can't change after
  creation (Note, UserDefinedFields, VerificationState, Workflow); the workflow follows the record
  and compliance state: NEW or NOTIFIED becomes RESOLVED when RecordState becomes ARCHIVED or
  Compliance.Status becomes PASSED; NOTIFIED or RESOLVED becomes NEW again when RecordState goes from
  ARCHIVED to ACTIVE or Compliance.Status from PASSED to WARNING, FAILED or NOT_AVAILABLE. SUPPRESSED
  stays. A new finding starts NEW (RESOLVED when created archived or passed).
- GetFindings filters: StringFilter comparisons EQUALS, PREFIX, NOT_EQUALS, PREFIX_NOT_EQUALS,
  CONTAINS, NOT_CONTAINS on Id, ProductArn, GeneratorId, RecordState, WorkflowStatus (and the legacy
  WorkflowState), ComplianceStatus, AwsAccountId, Region, Title, SeverityLabel, ResourceId, ResourceType.
  Filters on different fields are ANDed; values of one field are ORed, except the negative comparisons
  (NOT_EQUALS, PREFIX_NOT_EQUALS, NOT_CONTAINS), which are ANDed. An unsupported filter field is an
  InvalidInputException rather than a silent match. Pagination (MaxResults 1-100, NextToken) is moto's.
"""
from typing import Any, Callable

from . import clock

REQUIRED = ["AwsAccountId", "CreatedAt", "Description", "GeneratorId", "Id", "ProductArn", "SchemaVersion", "Title", "UpdatedAt"]
# Set by the provider at creation, the customer's afterwards (BatchUpdateFindings).
CUSTOMER_FIELDS = ["Note", "UserDefinedFields", "VerificationState", "Workflow", "WorkflowState"]
MAX_FINDINGS = 100


def _not_enabled(account_id: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    # The service model gives the HTTP status (401 for InvalidAccessException).
    return SecurityHubClientError("InvalidAccessException", f"Account {account_id} is not subscribed to AWS Security Hub")


def _access_denied(account_id: str, resource: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    return SecurityHubClientError(
        "AccessDeniedException",
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: securityhub:BatchImportFindings on resource: {resource}",
    )


def _invalid_input(message: str) -> Exception:
    from moto.securityhub.exceptions import SecurityHubClientError

    return SecurityHubClientError("InvalidInputException", message)


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def default_product(account_id: str, region: str) -> str:
    return f"arn:{_partition(region)}:securityhub:{region}:{account_id}:product/{account_id}/default"


def missing_fields(finding: dict[str, Any]) -> list[str]:
    """The required top-level attributes a finding lacks (or gives empty)."""
    missing = [f for f in REQUIRED if not isinstance(finding.get(f), str) or finding[f].strip() == ""]
    provider = finding.get("FindingProviderFields") or {}
    severity = finding.get("Severity") or provider.get("Severity") or {}
    if not isinstance(severity, dict) or not (severity.get("Label") or severity.get("Normalized") is not None):
        missing.append("Severity")
    types = finding.get("Types") or provider.get("Types")
    if not isinstance(types, list) or len(types) == 0:
        missing.append("Types")
    resources = finding.get("Resources")
    if not isinstance(resources, list) or not 1 <= len(resources) <= 32:
        missing.append("Resources (1 to 32)")
    elif any(not isinstance(r, dict) or not r.get("Id") or not r.get("Type") for r in resources):
        missing.append("Resources[].Id and Type")
    return missing


def _record(f: dict[str, Any]) -> str:
    return f.get("RecordState") or "ACTIVE"


def _compliance(f: dict[str, Any]) -> str | None:
    return (f.get("Compliance") or {}).get("Status")


def _workflow_after(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    """The workflow status Security Hub sets itself (WorkflowUpdate, "NEW")."""
    resolved = _record(new) == "ARCHIVED" or _compliance(new) == "PASSED"
    if old is None:
        return "RESOLVED" if resolved else "NEW"
    status = (old.get("Workflow") or {}).get("Status") or "NEW"
    if status == "SUPPRESSED":
        return status
    reopened = (_record(old) == "ARCHIVED" and _record(new) == "ACTIVE") or (
        _compliance(old) == "PASSED" and _compliance(new) in ("WARNING", "FAILED", "NOT_AVAILABLE")
    )
    if reopened and status in ("NOTIFIED", "RESOLVED"):
        status = "NEW"
    if status in ("NEW", "NOTIFIED") and (
        (_record(new) == "ARCHIVED" and _record(old) != "ARCHIVED")
        or (_compliance(new) == "PASSED" and _compliance(old) != "PASSED")
    ):
        status = "RESOLVED"
    return status


def batch_import_findings(backend: Any, findings: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
    from moto.securityhub.models import Finding

    if not backend.enabled:
        raise _not_enabled(backend.account_id)
    if not isinstance(findings, list) or len(findings) > MAX_FINDINGS:
        raise _invalid_input(f"Findings: at most {MAX_FINDINGS} findings per BatchImportFindings request")
    product = default_product(backend.account_id, backend.region_name)
    for f in findings:
        arn = f.get("ProductArn")
        if isinstance(arn, str) and arn != product:
            raise _access_denied(backend.account_id, arn)
        account = f.get("AwsAccountId")
        if isinstance(account, str) and account != backend.account_id:
            raise _access_denied(backend.account_id, product)
    failed: list[dict[str, Any]] = []
    succeeded = 0
    now = clock.iso(clock.now(backend.account_id))
    by_id = {f.id: f for f in backend.findings}
    for data in findings:
        missing = missing_fields(data)
        if missing:
            failed.append(
                {
                    "Id": data.get("Id") or "",
                    "ErrorCode": "InvalidInput",
                    "ErrorMessage": f"Finding does not adhere to Amazon Finding Format: missing {', '.join(missing)}",
                }
            )
            continue
        existing = by_id.get(data["Id"])
        old = existing.data if existing is not None else None
        stored = {k: v for k, v in data.items() if k not in CUSTOMER_FIELDS or old is None}
        provider = data.get("FindingProviderFields") or {}
        stored.setdefault("Severity", provider.get("Severity"))
        stored.setdefault("Types", provider.get("Types"))
        stored.setdefault("RecordState", "ACTIVE")
        if old is not None:
            stored["CreatedAt"] = old["CreatedAt"]
            for field in CUSTOMER_FIELDS:
                if field in old:
                    stored[field] = old[field]
            stored.setdefault("FirstObservedAt", old.get("FirstObservedAt"))
        status = _workflow_after(old, stored)
        workflow = dict((old or {}).get("Workflow") or {})
        if status != workflow.get("Status"):
            workflow["Status"] = status
            stored["Workflow"] = workflow
            stored["WorkflowState"] = "RESOLVED" if status == "RESOLVED" else "NEW"
        else:
            stored["Workflow"] = workflow
        stored["ProcessedAt"] = now
        if existing is None:
            finding = Finding(data["Id"], stored)
            backend.findings.append(finding)
            by_id[data["Id"]] = finding
        else:
            existing.data = stored
        succeeded += 1
    return len(failed), succeeded, failed


def _string(field: str) -> Callable[[dict[str, Any]], list[str]]:
    return lambda f: [f[field]] if isinstance(f.get(field), str) else []


FIELDS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "Id": _string("Id"),
    "ProductArn": _string("ProductArn"),
    "GeneratorId": _string("GeneratorId"),
    "AwsAccountId": _string("AwsAccountId"),
    "Region": _string("Region"),
    "Title": _string("Title"),
    "RecordState": lambda f: [_record(f)],
    "WorkflowStatus": lambda f: [((f.get("Workflow") or {}).get("Status")) or "NEW"],
    "WorkflowState": _string("WorkflowState"),
    "ComplianceStatus": lambda f: [s for s in [_compliance(f)] if s is not None],
    "SeverityLabel": lambda f: [s for s in [(f.get("Severity") or {}).get("Label")] if s is not None],
    "ResourceId": lambda f: [r["Id"] for r in f.get("Resources") or [] if isinstance(r.get("Id"), str)],
    "ResourceType": lambda f: [r["Type"] for r in f.get("Resources") or [] if isinstance(r.get("Type"), str)],
}
POSITIVE = {
    "EQUALS": lambda v, x: v == x,
    "PREFIX": lambda v, x: v.startswith(x),
    "CONTAINS": lambda v, x: x in v,
}
NEGATIVE = {
    "NOT_EQUALS": lambda v, x: v != x,
    "PREFIX_NOT_EQUALS": lambda v, x: not v.startswith(x),
    "NOT_CONTAINS": lambda v, x: x not in v,
}


def matches(finding: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    for field, conditions in (filters or {}).items():
        if not conditions:
            continue
        read = FIELDS.get(field)
        if read is None:
            raise _invalid_input(f"GetFindings: the emulator does not support the filter field {field}")
        values = read(finding)
        positive = [c for c in conditions if c.get("Comparison") in POSITIVE]
        negative = [c for c in conditions if c.get("Comparison") in NEGATIVE]
        unknown = [c for c in conditions if c not in positive and c not in negative]
        if unknown:
            raise _invalid_input(f"GetFindings: {field}: Comparison must be one of {', '.join([*POSITIVE, *NEGATIVE])}")
        if positive and not any(POSITIVE[c["Comparison"]](v, c.get("Value", "")) for c in positive for v in values):
            return False
        if not all(NEGATIVE[c["Comparison"]](v, c.get("Value", "")) for c in negative for v in values):
            return False
    return True


def install() -> None:
    from moto.securityhub.models import SecurityHubBackend
    from moto.utilities.paginator import paginate

    def import_findings(self: SecurityHubBackend, findings: list[dict[str, Any]]) -> Any:
        return batch_import_findings(self, findings)

    original_get = SecurityHubBackend.get_findings

    @paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
    def get_findings(self: SecurityHubBackend, filters: Any = None, sort_criteria: Any = None, max_results: Any = None) -> Any:
        if not self.enabled:
            raise _not_enabled(self.account_id)
        # moto's own checks of MaxResults, on every finding (its pagination is undone by __wrapped__).
        original_get.__wrapped__(self, filters=None, sort_criteria=None, max_results=max_results)  # type: ignore[attr-defined]
        return [f.as_dict() for f in self.findings if matches(f.as_dict(), filters)]

    SecurityHubBackend.batch_import_findings = import_findings  # type: ignore[method-assign]
    SecurityHubBackend.get_findings = get_findings  # type: ignore[method-assign]
