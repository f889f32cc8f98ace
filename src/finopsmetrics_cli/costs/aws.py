"""boto3 clients for the cost code, and the AWS failures every caller words the same way.

A fresh boto3 session per client: boto3's default session caches credentials
for the life of the process, which would hide a credentials change between
two syncs of a long-lived process (and between tests).
"""

from __future__ import annotations

from typing import Any

from finopsmetrics_cli.errors import CostDataError, MissingExtraError

AWS_CHAIN = (
    "environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), "
    "the shared credentials and config files (~/.aws/credentials, ~/.aws/config, AWS_PROFILE), "
    "SSO, web identity (AWS_WEB_IDENTITY_TOKEN_FILE), container credentials "
    "and EC2 instance metadata"
)
AWS_CREDENTIALS_HINT = "configure AWS credentials, e.g. `aws configure` or `aws sso login`"


def aws_client(
    service: str, purpose: str, *, retries: dict[str, Any] | None = None, **options: Any
) -> Any:
    """A boto3 client from the standard chain; ``AWS_ENDPOINT_URL`` is honoured by boto3."""
    try:
        import boto3  # type: ignore[import-untyped]  # noqa: TID251 - the lazy import
    except ImportError as exc:
        raise MissingExtraError("boto3", "aws", purpose) from exc
    if retries is not None:
        from botocore.config import Config  # type: ignore[import-untyped]

        options["config"] = Config(retries=retries)
    return boto3.session.Session().client(service, **options)


def common_aws_error(exc: Exception, what: str) -> CostDataError | None:
    """Missing credentials and unreachable endpoints; None for service-specific errors."""
    from botocore.exceptions import (  # type: ignore[import-untyped]
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, CostDataError):
        return exc
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CostDataError(
            f"no AWS credentials found to read {what}; tried {AWS_CHAIN}",
            hint=AWS_CREDENTIALS_HINT,
        )
    if isinstance(exc, EndpointConnectionError):
        return CostDataError(
            f"cannot reach AWS to read {what}: {exc}",
            hint="check the network, AWS_ENDPOINT_URL and the region",
        )
    return None


def error_code(exc: Exception) -> tuple[str, str]:
    """A botocore ClientError's code and message ("" when it is not one)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return "", str(exc)
    error = response.get("Error", {})
    return str(error.get("Code", "")), str(error.get("Message", exc))
