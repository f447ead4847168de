"""Google Ads errors → the resilience layer's classes, with the fix an owner can act on.

The library's ExceptionInterceptor raises `GoogleAdsException` (carrying the decoded
`GoogleAdsFailure`) for most failures, but leaves RESOURCE_EXHAUSTED and INTERNAL as plain
`grpc.RpcError`, so the failure (and the quota's retry delay) is decoded here from the
trailing metadata. A token refresh fails with google-auth's `RefreshError` (`invalid_grant`:
the refresh token expired or was revoked).
"""

from __future__ import annotations

from typing import Any

import google.auth.exceptions
import grpc
from google.ads.googleads.errors import GoogleAdsException
from google.ads.googleads.v26.errors.types.errors import ErrorCode, GoogleAdsFailure
from google.api_core.exceptions import GoogleAPICallError

from webapp.integrations.ads.base import Refused
from webapp.integrations.resilience import ErrorClass, IntegrationError

API_VERSION = "v26"  # the version google.py speaks; the imports above name it too
FAILURE_KEY = f"google.ads.googleads.{API_VERSION}.errors.googleadsfailure-bin"

FIX_CUSTOMER_ID = "Check it: the 10 digits at the top of Google Ads, like 123-456-7890."
FIX_MANAGER = (
    "This is a manager account, which has no campaigns of its own: enter the advertiser's "
    "account id as the customer id and this one as the manager id."
)
FIX_SIGN_IN = (
    "Regenerate the refresh token (sign in again with a Google account that can open this "
    "Ads account) and save it in Settings → Integrations → Google Ads."
)
FIX_CLIENT = (
    "Check the OAuth client id and secret (Google Cloud console → APIs & Services → "
    "Credentials); the refresh token must come from the same client."
)
FIX_DEVELOPER_TOKEN = (
    "Check the developer token (Google Ads → Tools → API Center). A token with test access "
    "only works on test accounts: apply for Basic access."
)
FIX_ACCESS = (
    "The signed-in Google user cannot reach this account: if it is managed through a "
    "manager account, enter the manager's customer id; otherwise check the customer id."
)
_AUTH_FIXES = {
    "DEVELOPER_TOKEN_INVALID": FIX_DEVELOPER_TOKEN,
    "DEVELOPER_TOKEN_NOT_APPROVED": FIX_DEVELOPER_TOKEN,
    "DEVELOPER_TOKEN_PROHIBITED": FIX_DEVELOPER_TOKEN,
    "DEVELOPER_TOKEN_NOT_ON_ALLOWLIST": FIX_DEVELOPER_TOKEN,
    "USER_PERMISSION_DENIED": FIX_ACCESS,
    "INVALID_LOGIN_CUSTOMER_ID_SERVING_CUSTOMER_ID_COMBINATION": FIX_ACCESS,
    "CUSTOMER_NOT_ENABLED": "The Ads account is not active (cancelled or setup unfinished): "
    "finish its setup in Google Ads.",
}
# Errors about the request itself (ids, fields, query): a setting or our bug, not a refusal.
_CONFIGURATION_KINDS = frozenset(
    {"request_error", "query_error", "header_error", "field_mask_error", "field_error", "id_error"}
)

_TRANSIENT_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.UNKNOWN,
    }
)


def customer_id_digits(value: str, what: str = "customer id") -> str:
    """A customer id as the API wants it (10 digits, no dashes), or a configuration error."""
    digits = value.replace("-", "").strip()
    if len(digits) != 10 or not digits.isdigit():
        raise IntegrationError(
            f"The Google Ads {what} {value!r} is not 10 digits. {FIX_CUSTOMER_ID}",
            ErrorClass.CONFIGURATION_ERROR,
        )
    return digits


def failure_from_metadata(metadata: Any) -> GoogleAdsFailure | None:
    """The GoogleAdsFailure in a call's trailing metadata (the library's interceptor leaves it
    there undecoded for RESOURCE_EXHAUSTED and INTERNAL)."""
    for key, value in metadata or ():
        if key == FAILURE_KEY:
            return GoogleAdsFailure.deserialize(value)
    return None


def from_failure(status: grpc.StatusCode, failure: GoogleAdsFailure) -> IntegrationError:
    error = failure.errors[0]
    kind = ErrorCode.pb(error.error_code).WhichOneof("error_code") or "unknown"
    name = getattr(getattr(error.error_code, kind, None), "name", "UNKNOWN")
    code, message = f"{kind}.{name}", error.message or name
    if kind in {"authentication_error", "authorization_error"}:
        if name in {"CLIENT_CUSTOMER_ID_INVALID", "CUSTOMER_NOT_FOUND"}:
            return IntegrationError(
                f"Google Ads does not know this customer id ({message}). {FIX_CUSTOMER_ID}",
                ErrorClass.CONFIGURATION_ERROR,
                provider_code=code,
            )
        fix = _AUTH_FIXES.get(name, FIX_SIGN_IN)
        return IntegrationError(
            f"Google Ads refused access ({name}): {message} {fix}",
            ErrorClass.THIRD_PARTY_AUTH_FAILED,
            provider_code=code,
        )
    if kind == "quota_error" or status == grpc.StatusCode.RESOURCE_EXHAUSTED:
        quota = error.details.quota_error_details
        delay = quota.retry_delay.total_seconds() if "retry_delay" in quota else None
        return IntegrationError(
            f"Google Ads quota reached: {message}",
            ErrorClass.RATE_LIMITED,
            retry_after=delay,
            provider_code=code,
        )
    if kind == "internal_error" or status in _TRANSIENT_CODES:
        return IntegrationError(
            f"Google Ads had a temporary problem: {message}",
            ErrorClass.TRANSIENT_NETWORK,
            provider_code=code,
        )
    if kind in _CONFIGURATION_KINDS:
        return IntegrationError(
            f"Google Ads rejected the request: {message}",
            ErrorClass.CONFIGURATION_ERROR,
            provider_code=code,
        )
    return Refused(f"Google Ads refused the change: {message} ({name})", provider_code=code)


def from_rpc(status: grpc.StatusCode, metadata: Any, details: str) -> IntegrationError:
    """A gRPC failure the library did not turn into a GoogleAdsException."""
    failure = failure_from_metadata(metadata)
    if failure is not None and failure.errors:
        return from_failure(status, failure)
    if status == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return IntegrationError(f"Google Ads quota reached: {details}", ErrorClass.RATE_LIMITED)
    if status in {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}:
        return IntegrationError(
            f"Google Ads refused access: {details} {FIX_SIGN_IN}",
            ErrorClass.THIRD_PARTY_AUTH_FAILED,
        )
    if status in _TRANSIENT_CODES:
        return IntegrationError(
            f"Google Ads could not be reached: {details}", ErrorClass.TRANSIENT_NETWORK
        )
    return IntegrationError(
        f"Google Ads error {status.name}: {details}", ErrorClass.CONFIGURATION_ERROR
    )


def from_refresh(exc: google.auth.exceptions.GoogleAuthError) -> IntegrationError:
    summary = str(exc.args[0]) if exc.args else str(exc)
    if isinstance(exc, google.auth.exceptions.TransportError) or getattr(exc, "retryable", False):
        return IntegrationError(
            f"Google sign-in could not be reached: {summary}", ErrorClass.TRANSIENT_NETWORK
        )
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = data.get("error")
    fix = FIX_CLIENT if code in {"invalid_client", "unauthorized_client"} else FIX_SIGN_IN
    return IntegrationError(
        f"Google refused the sign-in ({summary}). {fix}",
        ErrorClass.THIRD_PARTY_AUTH_FAILED,
        provider_code=code,
    )


def classify(exc: Exception) -> IntegrationError:
    """The IntegrationError for what a Google Ads call or token refresh raised."""
    if isinstance(exc, GoogleAdsException):
        return from_failure(exc.error.code(), exc.failure)
    if isinstance(exc, GoogleAPICallError):  # api_core wraps the RpcErrors it sees
        call = exc.response if isinstance(exc.response, grpc.Call) else None
        status = exc.grpc_status_code or grpc.StatusCode.UNKNOWN
        return from_rpc(status, call.trailing_metadata() if call else None, exc.message)
    if isinstance(exc, grpc.RpcError) and isinstance(exc, grpc.Call):
        return from_rpc(exc.code(), exc.trailing_metadata(), exc.details())
    if isinstance(exc, google.auth.exceptions.GoogleAuthError):
        return from_refresh(exc)
    return IntegrationError(f"Google Ads call failed: {exc!r}", ErrorClass.TRANSIENT_NETWORK)
