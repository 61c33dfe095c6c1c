"""One small function per onboarding subject, named after it: who asks, what the registry says,
reply."""

from __future__ import annotations

from datetime import UTC, datetime

from evse_contracts.bridge import CommandAccepted, SendCommand
from evse_contracts.bus import Empty
from evse_contracts.evses import (
    EVSES_COMMAND,
    EVSES_DECOMMISSION,
    EVSES_GET,
    EVSES_LIST,
    EVSES_RECONNECT,
    EVSES_VPP_MODES,
    Evse,
    EvseRef,
    EvseVppModes,
    ListEvses,
    ReconnectionUrl,
    SendEvseCommand,
)
from evse_contracts.onboarding import (
    ONBOARDING_IMPORT,
    ONBOARDING_LINK_START,
    ONBOARDING_PAGE,
    ONBOARDING_START,
    TOKENS_ISSUE,
    TOKENS_VALIDITY,
    AccessToken,
    ImportedEvse,
    ImportEvse,
    IssueToken,
    OnboardingLink,
    PageRequest,
    PageResponse,
    StartOnboarding,
    StartVendorAccountLink,
    TokenHolder,
    TokenValidity,
)
from evse_contracts.pagination import Page
from evse_contracts.problems import DomainError
from evse_runtime.mongo import as_stored
from evse_runtime.principals import caller
from evse_runtime.responders import RequestContext
from evse_runtime.service import Runtime

from .bridge_port import VendorBridge
from .catalogue_port import CatalogueReader
from .credentials import SecretChecker
from .errors import VendorAccountNotLinked
from .hosted_flow import HostedFlow
from .identity import issue_token, require_user, token_validity
from .identity_store import IdentityStore
from .importer import Importer
from .registry import Registry
from .tokens import TokenSigner

__all__ = ["register_handlers"]


def _now() -> datetime:
    """Now, at the precision MongoDB keeps, so a reply equals what a later read returns."""
    return as_stored(datetime.now(UTC))


def register_handlers(
    runtime: Runtime,
    *,
    identities: IdentityStore,
    signer: TokenSigner,
    checker: SecretChecker,
    registry: Registry,
    catalogue: CatalogueReader,
    bridge: VendorBridge,
    importer: Importer,
    flow: HostedFlow,
) -> None:
    async def issue_access_token(request: IssueToken, _: RequestContext) -> AccessToken:
        return await issue_token(
            store=identities, signer=signer, checker=checker, request=request, now=_now()
        )

    async def get_token_validity(request: TokenHolder, _: RequestContext) -> TokenValidity:
        return await token_validity(store=identities, holder=request)

    async def list_evses(request: ListEvses, ctx: RequestContext) -> Page[Evse]:
        return await registry.list(caller(ctx), request)

    async def get_evse(request: EvseRef, ctx: RequestContext) -> Evse:
        return await registry.get(caller(ctx), request.evse_id)

    async def decommission_evse(request: EvseRef, ctx: RequestContext) -> Empty:
        await registry.decommission(caller(ctx), request.evse_id, now=_now())
        return Empty()

    async def reconnect_evse(request: EvseRef, ctx: RequestContext) -> ReconnectionUrl:
        return await registry.reconnect(caller(ctx), request.evse_id, now=_now())

    async def get_evse_vpp_modes(request: EvseRef, ctx: RequestContext) -> EvseVppModes:
        evse = await registry.get(caller(ctx), request.evse_id)
        model = await catalogue.model(evse.evse_model.uid, request_id=ctx.request_id)
        return EvseVppModes(evse_uid=evse.uid, vpp_modes=model.vpp_modes)

    async def import_evse(request: ImportEvse, ctx: RequestContext) -> ImportedEvse:
        principal = caller(ctx)
        user = await require_user(principal, identities)
        now = _now()
        try:
            record, created = await importer.import_serial(
                user=user,
                provider=request.provider,
                serial_number=request.serial_number,
                request_id=ctx.request_id,
                now=now,
            )
        except DomainError as exc:
            problem = exc.to_problem()
            if problem.slug != VendorAccountNotLinked.slug:
                raise
            link = await flow.start_link(
                user=user, provider=request.provider.strip().lower(), state=None, now=now
            )
            raise VendorAccountNotLinked(problem.detail, link_url=link.url) from exc
        settings_url = None
        if record.onboarding_method == "ocpp":
            settings_url = (await registry.reconnect(principal, record.uid, now=now)).url
        return ImportedEvse(evse=record.to_resource(), created=created, settings_url=settings_url)

    async def start_vendor_account_link(
        request: StartVendorAccountLink, ctx: RequestContext
    ) -> OnboardingLink:
        user = await require_user(caller(ctx), identities)
        return await flow.start_link(
            user=user, provider=request.provider.strip().lower(), state=request.state, now=_now()
        )

    async def start_onboarding(request: StartOnboarding, ctx: RequestContext) -> OnboardingLink:
        user = await require_user(caller(ctx), identities)
        return await flow.start(user=user, request=request, request_id=ctx.request_id, now=_now())

    async def render_page(request: PageRequest, ctx: RequestContext) -> PageResponse:
        return await flow.handle(request, request_id=ctx.request_id, now=_now())

    async def send_evse_command(request: SendEvseCommand, ctx: RequestContext) -> CommandAccepted:
        evse = await registry.get(caller(ctx), request.evse_id)
        send = SendCommand(
            evse_uid=evse.uid,
            command=request.command.command,
            current_limit_a=request.command.current_limit_a,
            available=request.command.available,
        )
        return await bridge.send_command(send, request_id=ctx.request_id)

    runtime.respond(TOKENS_ISSUE, issue_access_token)
    runtime.respond(TOKENS_VALIDITY, get_token_validity)
    runtime.respond(EVSES_COMMAND, send_evse_command)
    runtime.respond(ONBOARDING_IMPORT, import_evse)
    runtime.respond(ONBOARDING_START, start_onboarding)
    runtime.respond(ONBOARDING_LINK_START, start_vendor_account_link)
    runtime.respond(ONBOARDING_PAGE, render_page)
    runtime.respond(EVSES_LIST, list_evses)
    runtime.respond(EVSES_GET, get_evse)
    runtime.respond(EVSES_DECOMMISSION, decommission_evse)
    runtime.respond(EVSES_RECONNECT, reconnect_evse)
    runtime.respond(EVSES_VPP_MODES, get_evse_vpp_modes)
