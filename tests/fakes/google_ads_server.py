"""A small Google Ads API on 127.0.0.1 for tests with Google's real `google-ads` client.

Two servers in one object:
- gRPC, speaking the service definitions shipped with the package (API v26):
  GoogleAdsService.Search / SearchStream (a GAQL subset: `SELECT fields FROM customer |
  campaign | campaign_budget [WHERE cond AND cond …]`, conditions `=, !=, <, <=, >, >=, IN,
  BETWEEN`), CampaignBudgetService.MutateCampaignBudgets, CampaignService.MutateCampaigns and
  CustomerService.ListAccessibleCustomers. It listens with gRPC's local credentials (plain TCP,
  loopback only), so the client still sends its OAuth bearer token, which is checked.
- OAuth's token endpoint over HTTP (`POST /token`, the refresh-token grant), answering
  `invalid_grant` once the refresh token is revoked (`fake.revoke()`).

State is plain data the test edits: `customer`, `budgets`, `campaigns`, and `metrics`
({(campaign_id, day): Metrics}; a (campaign, day) without an entry has no row, as in the API).
Failures are scripted per method: `fake.fail_next("MutateCampaignBudgets", rate_limited(30))`.
Every call is kept in `fake.calls` (method, request, metadata).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import grpc
from google.ads.googleads.v26.enums.types.campaign_status import CampaignStatusEnum
from google.ads.googleads.v26.errors.types.errors import (
    ErrorCode,
    ErrorDetails,
    GoogleAdsError,
    GoogleAdsFailure,
    QuotaErrorDetails,
)
from google.ads.googleads.v26.services.types import (
    campaign_budget_service as budget_svc,
)
from google.ads.googleads.v26.services.types import campaign_service as campaign_svc
from google.ads.googleads.v26.services.types import customer_service as customer_svc
from google.ads.googleads.v26.services.types import google_ads_service as ads_svc
from google.protobuf import duration_pb2, field_mask_pb2

VERSION = "v26"
FAILURE_KEY = f"google.ads.googleads.{VERSION}.errors.googleadsfailure-bin"
CLIENT_ID, CLIENT_SECRET = "fake-client.apps.googleusercontent.com", "fake-client-secret"
REFRESH_TOKEN, DEVELOPER_TOKEN = "1//fake-refresh-token", "fake-developer-token"
CUSTOMER_ID = "1234567890"


@dataclass(frozen=True)
class Failure:
    """One scripted (or validation) failure: a gRPC status plus a GoogleAdsFailure."""

    status: grpc.StatusCode
    kind: str | None  # the ErrorCode oneof field, e.g. "quota_error"; None: no GoogleAdsFailure
    name: str = ""  # that enum's value, e.g. "RESOURCE_EXHAUSTED"
    message: str = ""
    retry_seconds: int | None = None


def refusal(kind: str, name: str, message: str) -> Failure:
    return Failure(grpc.StatusCode.INVALID_ARGUMENT, kind, name, message)


def policy_violation(message: str) -> Failure:
    return refusal("policy_violation_error", "POLICY_ERROR", message)


def rate_limited(retry_seconds: int | None) -> Failure:
    return Failure(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "quota_error",
        "RESOURCE_EXHAUSTED",
        "Too many requests. Retry in the suggested time.",
        retry_seconds,
    )


def auth_error(name: str = "OAUTH_TOKEN_INVALID", message: str = "") -> Failure:
    return Failure(grpc.StatusCode.UNAUTHENTICATED, "authentication_error", name, message)


def permission_denied(name: str = "USER_PERMISSION_DENIED", message: str = "") -> Failure:
    return Failure(grpc.StatusCode.PERMISSION_DENIED, "authorization_error", name, message)


def unavailable() -> Failure:
    return Failure(grpc.StatusCode.UNAVAILABLE, None, message="The service is unavailable.")


class _Abort(Exception):
    def __init__(self, failure: Failure) -> None:
        self.failure = failure


@dataclass
class Budget:
    id: int
    name: str
    amount_micros: int
    explicitly_shared: bool = False
    status: str = "ENABLED"


@dataclass
class Campaign:
    id: int
    name: str
    status: str  # ENABLED | PAUSED | REMOVED
    budget_id: int
    channel: str = "SEARCH"


@dataclass
class Metrics:
    cost_micros: int = 0
    impressions: int = 0
    clicks: int = 0
    conversions: float = 0.0
    conversions_value: float = 0.0


@dataclass
class Call:
    method: str
    request: object
    metadata: dict


@dataclass
class FakeGoogleAds:
    currency: str = "USD"
    login_customer_id: str | None = None  # when set, calls must send it (a manager account)
    customer: dict = field(
        default_factory=lambda: {
            "id": int(CUSTOMER_ID),
            "descriptive_name": "Corner Bakery",
            "time_zone": "Europe/Berlin",
            "manager": False,
        }
    )
    budgets: dict[int, Budget] = field(default_factory=dict)
    campaigns: dict[int, Campaign] = field(default_factory=dict)
    metrics: dict[tuple[int, date], Metrics] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.customer["currency_code"] = self.currency
        self._ids = itertools.count(9_000_001)
        self._tokens: set[str] = set()
        self._revoked = False
        self._failures: dict[str, deque[Failure]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="fake-google-ads")
        self._grpc = grpc.server(self._executor)
        self._grpc.add_generic_rpc_handlers(_handlers(self))
        self.port = self._grpc.add_secure_port(
            "127.0.0.1:0", grpc.local_server_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        )
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _token_handler(self))
        self._http_thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # --- life cycle and test helpers -----------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"http://127.0.0.1:{self._http.server_port}/token"

    def start(self) -> FakeGoogleAds:
        self._grpc.start()
        self._http_thread.start()
        return self

    def stop(self) -> None:
        self._grpc.stop(grace=None).wait(5)
        self._executor.shutdown(wait=True)
        self._http.shutdown()
        self._http.server_close()
        self._http_thread.join(timeout=5)

    def add_campaign(self, name: str, budget_micros: int, status: str = "ENABLED") -> Campaign:
        budget = Budget(next(self._ids), f"{name} budget", budget_micros)
        self.budgets[budget.id] = budget
        campaign = Campaign(next(self._ids), name, status, budget.id)
        self.campaigns[campaign.id] = campaign
        return campaign

    def fail_next(self, method: str, *failures: Failure) -> None:
        with self._lock:
            self._failures[method].extend(failures)

    def revoke(self) -> None:
        """The owner revoked access (or the token expired): refreshes fail, tokens die."""
        self._revoked = True
        self._tokens.clear()

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    # --- request plumbing -----------------------------------------------------------------

    def _enter(self, method: str, request, context: grpc.ServicerContext) -> None:
        metadata = dict(context.invocation_metadata())
        with self._lock:
            self.calls.append(Call(method, request, metadata))
            scripted = self._failures[method].popleft() if self._failures[method] else None
        token = metadata.get("authorization", "").removeprefix("Bearer ")
        if token not in self._tokens:
            raise _Abort(auth_error("OAUTH_TOKEN_INVALID", "Invalid OAuth access token."))
        if metadata.get("developer-token") != DEVELOPER_TOKEN:
            raise _Abort(auth_error("DEVELOPER_TOKEN_INVALID", "The developer token is invalid."))
        if scripted is not None:
            raise _Abort(scripted)
        customer_id = getattr(request, "customer_id", None)
        if customer_id is None:  # ListAccessibleCustomers: no account, login id ignored
            return
        if customer_id != CUSTOMER_ID:
            raise _Abort(permission_denied(message=f"No access to customer {customer_id}."))
        if self.login_customer_id and metadata.get("login-customer-id") != self.login_customer_id:
            raise _Abort(
                permission_denied(
                    message="User doesn't have permission to access customer. Note: If you're "
                    "accessing a client customer, the manager's customer id must be set in the "
                    "'login-customer-id' header."
                )
            )

    def _issue_token(self, form: dict[str, str]) -> tuple[int, dict]:
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        if self._revoked or form.get("refresh_token") != REFRESH_TOKEN:
            return 400, {
                "error": "invalid_grant",
                "error_description": "Token has been expired or revoked.",
            }
        with self._lock:
            token = f"ya29.fake-{next(self._ids)}"
            self._tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def _abort(context: grpc.ServicerContext, failure: Failure) -> None:
    if failure.kind is not None:
        error = GoogleAdsError(
            error_code=ErrorCode(**{failure.kind: failure.name}), message=failure.message
        )
        if failure.retry_seconds is not None:
            error.details = ErrorDetails(
                quota_error_details=QuotaErrorDetails(
                    retry_delay=duration_pb2.Duration(seconds=failure.retry_seconds)
                )
            )
        payload = GoogleAdsFailure.serialize(GoogleAdsFailure(errors=[error], request_id="fake"))
        context.set_trailing_metadata(((FAILURE_KEY, payload), ("request-id", "fake")))
    context.abort(failure.status, failure.message or failure.name)


def _token_handler(fake: FakeGoogleAds) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            status, body = fake._issue_token(form) if self.path == "/token" else (404, {})
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args) -> None:  # keep test output quiet
            return

    return Handler


def _handlers(fake: FakeGoogleAds) -> tuple[grpc.GenericRpcHandler, ...]:
    def guarded(method: str, fn, stream: bool = False):
        def handle(request, context):
            try:
                fake._enter(method, request, context)
                with fake._lock:
                    answer = fn(fake, request)
            except _Abort as exc:
                _abort(context, exc.failure)
            return iter(answer) if stream else answer

        return handle

    def unary(method, fn, req, resp, stream=False):
        kind = (
            grpc.unary_stream_rpc_method_handler if stream else grpc.unary_unary_rpc_method_handler
        )
        return kind(
            guarded(method, fn, stream),
            request_deserializer=req.deserialize,
            response_serializer=resp.serialize,
        )

    prefix = f"google.ads.googleads.{VERSION}.services."
    return (
        grpc.method_handlers_generic_handler(
            prefix + "GoogleAdsService",
            {
                "Search": unary(
                    "Search",
                    search,
                    ads_svc.SearchGoogleAdsRequest,
                    ads_svc.SearchGoogleAdsResponse,
                ),
                "SearchStream": unary(
                    "SearchStream",
                    search_stream,
                    ads_svc.SearchGoogleAdsStreamRequest,
                    ads_svc.SearchGoogleAdsStreamResponse,
                    stream=True,
                ),
            },
        ),
        grpc.method_handlers_generic_handler(
            prefix + "CampaignBudgetService",
            {
                "MutateCampaignBudgets": unary(
                    "MutateCampaignBudgets",
                    mutate_budgets,
                    budget_svc.MutateCampaignBudgetsRequest,
                    budget_svc.MutateCampaignBudgetsResponse,
                )
            },
        ),
        grpc.method_handlers_generic_handler(
            prefix + "CampaignService",
            {
                "MutateCampaigns": unary(
                    "MutateCampaigns",
                    mutate_campaigns,
                    campaign_svc.MutateCampaignsRequest,
                    campaign_svc.MutateCampaignsResponse,
                )
            },
        ),
        grpc.method_handlers_generic_handler(
            prefix + "CustomerService",
            {
                "ListAccessibleCustomers": unary(
                    "ListAccessibleCustomers",
                    lambda _fake, _req: customer_svc.ListAccessibleCustomersResponse(
                        resource_names=[f"customers/{fake.login_customer_id or CUSTOMER_ID}"]
                    ),
                    customer_svc.ListAccessibleCustomersRequest,
                    customer_svc.ListAccessibleCustomersResponse,
                )
            },
        ),
    )


# --- mutations ---------------------------------------------------------------------------

_RESOURCE_ID = re.compile(r"^customers/(\d+)/(campaignBudgets|campaigns)/(\d+)$")


def _resource_id(resource_name: str, collection: str) -> int:
    match = _RESOURCE_ID.match(resource_name)
    if not match or match[2] != collection:
        raise _Abort(refusal("request_error", "RESOURCE_NAME_MALFORMED", resource_name))
    return int(match[3])


def _minimum_unit_micros(currency: str) -> int:
    return 1_000_000 if currency in {"JPY", "KRW", "CLP", "VND", "ISK"} else 10_000


def _check_amount(fake: FakeGoogleAds, amount_micros: int) -> None:
    if amount_micros <= 0:
        raise _Abort(
            refusal("campaign_budget_error", "NEGATIVE_MONEY_AMOUNT", "Budget must be positive.")
        )
    if amount_micros % _minimum_unit_micros(fake.currency):
        raise _Abort(
            refusal(
                "campaign_budget_error",
                "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT",
                "The budget is not a multiple of the currency's minimum unit.",
            )
        )


def mutate_budgets(fake: FakeGoogleAds, request) -> budget_svc.MutateCampaignBudgetsResponse:
    names = []
    for op in request.operations:
        which = type(op).pb(op).WhichOneof("operation")
        if which == "create":
            if any(b.name == op.create.name for b in fake.budgets.values()):
                raise _Abort(refusal("campaign_budget_error", "DUPLICATE_NAME", op.create.name))
            _check_amount(fake, op.create.amount_micros)
            budget = Budget(next(fake._ids), op.create.name, op.create.amount_micros)
            fake.budgets[budget.id] = budget
        elif which == "update":
            budget = fake.budgets.get(_resource_id(op.update.resource_name, "campaignBudgets"))
            if budget is None:
                raise _Abort(refusal("mutate_error", "RESOURCE_NOT_FOUND", "No such budget."))
            if "amount_micros" in op.update_mask.paths:
                _check_amount(fake, op.update.amount_micros)
                budget.amount_micros = op.update.amount_micros
        else:  # remove
            budget = fake.budgets.pop(_resource_id(op.remove, "campaignBudgets"))
        names.append(f"customers/{CUSTOMER_ID}/campaignBudgets/{budget.id}")
    return budget_svc.MutateCampaignBudgetsResponse(
        results=[budget_svc.MutateCampaignBudgetResult(resource_name=n) for n in names]
    )


def _create_campaign(fake: FakeGoogleAds, new) -> Campaign:
    if any(c.name == new.name for c in fake.campaigns.values()):
        raise _Abort(refusal("campaign_error", "DUPLICATE_CAMPAIGN_NAME", new.name))
    if type(new).pb(new).WhichOneof("campaign_bidding_strategy") is None:
        raise _Abort(refusal("field_error", "REQUIRED", "A bidding strategy is required."))
    if not new.contains_eu_political_advertising:
        raise _Abort(
            refusal("field_error", "REQUIRED", "contains_eu_political_advertising is required.")
        )
    budget_id = _resource_id(new.campaign_budget, "campaignBudgets")
    if budget_id not in fake.budgets:
        raise _Abort(refusal("mutate_error", "RESOURCE_NOT_FOUND", "No such budget."))
    status = CampaignStatusEnum.CampaignStatus(new.status).name
    campaign = Campaign(
        next(fake._ids), new.name, status, budget_id, new.advertising_channel_type.name
    )
    fake.campaigns[campaign.id] = campaign
    return campaign


def mutate_campaigns(fake: FakeGoogleAds, request) -> campaign_svc.MutateCampaignsResponse:
    names = []
    for op in request.operations:
        which = type(op).pb(op).WhichOneof("operation")
        if which == "create":
            campaign = _create_campaign(fake, op.create)
        elif which == "update":
            campaign = fake.campaigns.get(_resource_id(op.update.resource_name, "campaigns"))
            if campaign is None or campaign.status == "REMOVED":
                raise _Abort(
                    refusal(
                        "operation_access_denied_error",
                        "OPERATION_NOT_PERMITTED_FOR_REMOVED_RESOURCE",
                        "The campaign was removed.",
                    )
                )
            if "status" in op.update_mask.paths:
                campaign.status = CampaignStatusEnum.CampaignStatus(op.update.status).name
        else:
            raise _Abort(refusal("mutate_error", "MUTATE_NOT_ALLOWED", "Remove is not faked."))
        names.append(f"customers/{CUSTOMER_ID}/campaigns/{campaign.id}")
    return campaign_svc.MutateCampaignsResponse(
        results=[campaign_svc.MutateCampaignResult(resource_name=n) for n in names]
    )


# --- GAQL, the subset the adapter needs ------------------------------------------------------

_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?:\s+WHERE\s+(?P<where>.+?))?\s*$",
    re.I | re.S,
)
_CONDITION = re.compile(
    r"\s*(?P<field>[a-z_]+\.[a-z_.]+)\s*(?:"
    r"BETWEEN\s+(?P<low>'[^']*'|\S+)\s+AND\s+(?P<high>'[^']*'|\S+)"
    r"|IN\s*\((?P<items>[^)]*)\)"
    r"|(?P<op>!=|>=|<=|=|>|<)\s*(?P<value>'[^']*'|[^\s']+))\s*(?:AND\b|$)",
    re.I,
)
_COMPARE = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _query_error(name: str, message: str) -> _Abort:
    return _Abort(refusal("query_error", name, message))


def _literal(text: str, like: object) -> object:
    text = text.strip()
    text = text[1:-1] if text.startswith("'") else text
    if isinstance(like, bool):
        return text.upper() == "TRUE"
    if isinstance(like, int):
        try:
            return int(text)
        except ValueError:
            raise _query_error("BAD_NUMBER", f"Not a number: {text}") from None
    return text


def _matches(row: dict, cond: re.Match) -> bool:
    if cond["field"] not in row:
        raise _query_error("BAD_FIELD_NAME", f"Unrecognized field in WHERE: {cond['field']}")
    value = row[cond["field"]]
    if cond["low"] is not None:
        return _literal(cond["low"], value) <= value <= _literal(cond["high"], value)
    if cond["items"] is not None:
        return value in {_literal(item, value) for item in cond["items"].split(",")}
    return _COMPARE[cond["op"]](value, _literal(cond["value"], value))


def _parse(query: str) -> tuple[list[str], str, list[re.Match]]:
    match = _QUERY.match(query)
    if not match:
        raise _query_error("QUERY_ERROR", f"Cannot parse: {query}")
    fields = [f.strip() for f in match["fields"].split(",")]
    where, conditions, pos = match["where"] or "", [], 0
    while pos < len(where):
        cond = _CONDITION.match(where, pos)
        if not cond:
            raise _query_error("BAD_OPERATOR", f"Cannot parse condition: {where[pos:]}")
        conditions.append(cond)
        pos = cond.end()
    return fields, match["resource"].lower(), conditions


def _rows(fake: FakeGoogleAds, resource: str, dated: bool) -> list[dict]:
    customer = {f"customer.{k}": v for k, v in fake.customer.items()}
    prefix = f"customers/{CUSTOMER_ID}"

    def budget_fields(budget: Budget | None) -> dict:
        if budget is None:
            return {}
        fields = {f"campaign_budget.{k}": v for k, v in asdict(budget).items()}
        fields["campaign_budget.resource_name"] = f"{prefix}/campaignBudgets/{budget.id}"
        return fields

    if resource == "customer":
        return [customer]
    if resource == "campaign_budget":
        return [{**customer, **budget_fields(b)} for b in fake.budgets.values()]
    if resource != "campaign":
        raise _query_error("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE", f"Not faked: {resource}")
    rows = {
        c.id: {
            **customer,
            **budget_fields(fake.budgets.get(c.budget_id)),
            "campaign.id": c.id,
            "campaign.resource_name": f"{prefix}/campaigns/{c.id}",
            "campaign.name": c.name,
            "campaign.status": c.status,
            "campaign.advertising_channel_type": c.channel,
            "campaign.campaign_budget": f"{prefix}/campaignBudgets/{c.budget_id}",
        }
        for c in fake.campaigns.values()
    }
    if not dated:
        return list(rows.values())
    return [
        {
            **rows[cid],
            "segments.date": day.isoformat(),
            **{f"metrics.{k}": v for k, v in asdict(m).items()},
        }
        for (cid, day), m in sorted(fake.metrics.items())
        if cid in rows
    ]


def _project(row: dict, fields: list[str]) -> ads_svc.GoogleAdsRow:
    """A GoogleAdsRow holding only the selected fields, as the API answers."""
    out = ads_svc.GoogleAdsRow()
    for path in fields:
        if path not in row:
            raise _query_error("UNRECOGNIZED_FIELD", f"Unrecognized field: {path}")
        *parents, leaf = path.split(".")
        target = out
        for name in parents:
            target = getattr(target, name)
        enum = type(target).meta.fields[leaf].enum
        setattr(target, leaf, enum[row[path]] if enum else row[path])
    return out


def _select(fake: FakeGoogleAds, query: str) -> tuple[list[ads_svc.GoogleAdsRow], list[str]]:
    fields, resource, conditions = _parse(query)
    dated = any(f == "segments.date" for f in fields + [c["field"] for c in conditions])
    if not dated and any(f.startswith("metrics.") for f in fields):
        raise _query_error("EXPECTED_FILTERS_ON_DATE_RANGE", "This fake needs segments.date.")
    rows = [r for r in _rows(fake, resource, dated) if all(_matches(r, c) for c in conditions)]
    return [_project(r, fields) for r in rows], fields


def search(fake: FakeGoogleAds, request) -> ads_svc.SearchGoogleAdsResponse:
    rows, fields = _select(fake, request.query)
    return ads_svc.SearchGoogleAdsResponse(
        results=rows, field_mask=field_mask_pb2.FieldMask(paths=fields)
    )


def search_stream(fake: FakeGoogleAds, request) -> list[ads_svc.SearchGoogleAdsStreamResponse]:
    rows, fields = _select(fake, request.query)
    return [
        ads_svc.SearchGoogleAdsStreamResponse(
            results=rows, field_mask=field_mask_pb2.FieldMask(paths=fields), request_id="fake"
        )
    ]
