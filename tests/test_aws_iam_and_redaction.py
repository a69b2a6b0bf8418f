"""The shipped IAM policy lists exactly the actions the code calls; only the AWS backend imports boto3;
secrets are masked in every log record."""

from __future__ import annotations

import ast
import json
import logging
from pathlib import Path

import pytest

from fixtures import redaction

ROOT = Path(__file__).resolve().parent.parent
AWS_MODULES = sorted([*(ROOT / "fixtures" / "aws").glob("*.py"), ROOT / "fixtures" / "stacks" / "aws.py"])
# boto3 method -> IAM action, where the action is not simply the method in PascalCase.
IAM_EXCEPTIONS = {
    ("s3", "head_object"): "s3:GetObject",
    ("sts", "get_caller_identity"): None,  # needs no permission (AWS STS API reference)
    ("lambda", "invoke"): "lambda:InvokeFunction",
}


def _pascal(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def _iam_action(service: str, operation: str) -> str | None:
    if (service, operation) in IAM_EXCEPTIONS:
        return IAM_EXCEPTIONS[(service, operation)]
    prefix = "mediastore" if service == "mediastore-data" else service
    return f"{prefix}:{_pascal(operation)}"


def _calls_in_code() -> set[tuple[str, str]]:
    """Every (service, operation) the AWS backend passes to AwsCalls.read / change, or to control_plane._read."""
    found, unverifiable = set(), []
    for path in AWS_MODULES:
        tree = ast.parse(path.read_text())
        wrapper = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_read" for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in wrapper:  # _read passes its arguments through
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            positions = {"read": (0, 2), "change": (0, 2), "_read": (2, 4)}.get(name)
            if positions is None or len(node.args) <= positions[1]:
                continue
            service, operation = (node.args[i] for i in positions)
            if isinstance(service, ast.Constant) and isinstance(operation, ast.Constant):
                found.add((str(service.value), str(operation.value)))
            else:
                unverifiable.append(f"{path.name}:{node.lineno}")
    assert not unverifiable, f"AWS calls whose service or operation is not a literal cannot be checked: {unverifiable}"
    return found


def test_the_iam_policy_lists_exactly_the_actions_the_drill_calls() -> None:
    policy = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
    granted = {action for statement in policy["Statement"] for action in statement["Action"]}
    assert all(statement["Effect"] == "Allow" and "*" not in "".join(statement["Action"]) for statement in policy["Statement"])
    called = _calls_in_code()
    assert ("medialive", "batch_update_schedule") in called and ("s3", "put_bucket_policy") in called  # the scan sees calls
    assert ("cloudfront-keyvaluestore", "put_key") in called and ("lambda", "invoke") in called  # and the routing modules
    assert ("mediapackagev2", "update_origin_endpoint") in called and ("mediapackagev2", "get_channel") in called  # and MediaPackage v2
    needed = {action for service, operation in called if (action := _iam_action(service, operation))}
    assert needed - granted == set(), "the code calls actions the policy does not grant"
    assert granted - needed == set(), "the policy grants actions the code never calls (least privilege)"


def test_only_the_aws_backend_imports_boto3() -> None:
    offenders = []
    for path in sorted([*ROOT.glob("*.py"), *(ROOT / "fixtures").rglob("*.py"), *(ROOT / "checks").rglob("*.py"),
                        *(ROOT / "scenarios").rglob("*.py")]):
        if path in AWS_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] in ("boto3", "botocore") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_registered_secret_is_masked_in_every_log_record(caplog: pytest.LogCaptureFixture) -> None:
    redaction.register_secret("very-secret-header-value")
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("botocore.parsers").debug("Response body: %s", b'{"x": "very-secret-header-value"}')
        try:
            raise RuntimeError("bad value very-secret-header-value")
        except RuntimeError:
            logging.getLogger("drill").exception("undo failed")
    assert "very-secret-header-value" not in caplog.text and "***" in caplog.text


def test_secrets_manager_answers_are_masked_before_anyone_knows_the_value(caplog: pytest.LogCaptureFixture) -> None:
    redaction.install()
    body = b'{"ARN": "arn", "SecretString": "{\\"value\\": \\"not-registered-anywhere\\"}", "VersionId": "1"}'
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("botocore.parsers").debug("Response body:\n%r", body)
    assert "not-registered-anywhere" not in caplog.text and '"SecretString": "***"' in caplog.text


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 6 characters"):
        redaction.register_secret("abc")
