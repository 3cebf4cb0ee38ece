"""``/staff/publish``: publishers upload a policy version or a release, sign it with their own wallets,
and publish it once the trust root's threshold has signed.

The page shows the document's exact statement (the text every signer signs); ``js/publish.js``
asks an EIP-6963 wallet for ``personal_sign`` over it and posts the signature through the same form
a signature pasted from elsewhere uses (``portal policy sign``'s output, a hardware wallet's), so the
server checks both in one way: ``portal.domain.pending``, which is ``portal policy add-signature``'s
check. Publishing calls what ``POST /v1/policies`` and ``POST /v1/releases`` call. The exact bytes
and a ``.sig.json`` can be downloaded, so a document signed here can go on by the command line.

Files are uploaded as files (multipart), never pasted: a browser sends a textarea's line ends as
CRLF, which would change the bytes, their sha256 and so the statement.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.response import Redirect, Template

from policy.signatures import decode_signature_file
from portal.domain import pending, releases
from portal.domain.pending import PendingView, Staffer
from portal.domain.staff import StaffPrincipal
from portal.errors import InvalidInputError, PermissionDeniedError, PortalError
from portal.http.clients import client_host
from portal.http.console.render import EXCEPTION_HANDLERS, form_text, user_of
from portal.http.console.session import provide_any_staff
from portal.http.copy.publish import NOTICES, name_of, progress
from portal.http.deps import Ctx
from portal.http.pages.layout import render_page
from portal.http.pages.view_models import FieldError
from portal.http.policy_deps import ANCHOR, TrustAnchor
from portal.store.pending import PendingListed

# A release's entries file holds one line per approved destination (100,000 lines is ~20 MB).
UPLOAD_MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_SIGNATURE_CHARS = 200
PUBLISH_SCRIPTS = ("js/main.js", "js/publish.js")
PendingId = Annotated[uuid.UUID, Parameter(description="the pending document's id")]
Notice = Annotated[str | None, Parameter(max_length=20)]


async def provide_publisher(request: Request, ctx: Ctx) -> StaffPrincipal:
    """The ``publisher`` dependency: the live session's principal, who must hold ``publisher``."""
    principal = await provide_any_staff(request, ctx)
    if not principal.holds("publisher"):
        raise PermissionDeniedError(f"publishing is for publishers and admins; {principal.name} holds "
                                    f"{principal.role}")
    return principal


Publisher = NamedDependency[StaffPrincipal]
DEPENDENCIES = {"publisher": Provide(provide_publisher), **ANCHOR}


class ListPage(msgspec.Struct, frozen=True):
    documents: list[PendingListed]
    notice: str = ""
    errors: tuple[FieldError, ...] = ()


class DocumentPage(msgspec.Struct, frozen=True):
    view: PendingView
    progress: str
    wallet_data: dict[str, Any]
    notice: str = ""
    errors: tuple[FieldError, ...] = ()
    signature: str = ""


def _staffer(principal: StaffPrincipal, request: Request) -> Staffer:
    return Staffer(principal.actor, client_host(request), principal.audit_data())


async def _list_page(state: State, ctx: Ctx, publisher: StaffPrincipal, *, status_code: int = 200,
                     notice: str = "", errors: tuple[FieldError, ...] = ()) -> Template:
    async with ctx.db.transaction() as conn:
        documents = [msgspec.structs.replace(d, uploaded_by=name_of(d.uploaded_by), closed_by=name_of(d.closed_by))
                     for d in await pending.listing(conn, ctx.now())]
    return render_page(state, "console/publish.html", "Publish", ListPage(documents, notice, errors),
                       status_code=status_code, context={"user": user_of(publisher)})


async def _document_page(state: State, ctx: Ctx, publisher: StaffPrincipal, anchor: TrustAnchor,
                         pending_id: uuid.UUID, **fields: Any) -> Template:
    status_code = fields.pop("status_code", 200)
    async with ctx.db.transaction() as conn:
        view = await pending.view(conn, pending_id, anchor, ctx.now())
    wallet_data = {"statement": view.statement, "root_version": view.root_version,
                   "signers": [s.address for s in view.signers],
                   "signed": [s.address for s in view.signers if s.signed]}
    said = progress(view)
    view = msgspec.structs.replace(
        view, uploaded_by=name_of(view.uploaded_by), closed_by=name_of(view.closed_by),
        signers=[msgspec.structs.replace(s, added_by=name_of(s.added_by)) for s in view.signers])
    page = DocumentPage(view, said, wallet_data, **fields)
    return render_page(state, "console/publish_document.html", view.label.capitalize(), page,
                       scripts=PUBLISH_SCRIPTS if view.outcome is None and view.signed < view.threshold else (),
                       status_code=status_code,
                       context={"user": user_of(publisher)})


@get("/staff/publish", include_in_schema=False, cache_control=None, dependencies=DEPENDENCIES,
     exception_handlers=EXCEPTION_HANDLERS)
async def publish_page(state: State, ctx: Ctx, publisher: Publisher, notice: Notice = None) -> Template:
    return await _list_page(state, ctx, publisher, notice=NOTICES.get(notice or "", ""))


async def _file(form: Any, name: str) -> bytes | None:
    value = form.get(name)
    if isinstance(value, UploadFile):
        data = await value.read()
        return data or None
    if value not in (None, ""):
        raise InvalidInputError("upload this as a file", field=name)
    return None


@post("/staff/publish", include_in_schema=False, dependencies=DEPENDENCIES, exception_handlers=EXCEPTION_HANDLERS,
      request_max_body_size=UPLOAD_MAX_BODY_BYTES)
async def upload(state: State, ctx: Ctx, request: Request, publisher: Publisher, anchor: TrustAnchor
                 ) -> Template | Redirect:
    form = await request.form()
    try:
        signatures_file = await _file(form, "signatures")
        try:
            signatures = decode_signature_file(signatures_file).signatures if signatures_file else []
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InvalidInputError(f"the signatures file is not a .sig.json of portal policy sign ({exc})",
                                    field="signatures") from None
        given = pending.Upload(await _file(form, "document") or b"", await _file(form, "entries"), signatures,
                               _staffer(publisher, request))
        async with ctx.db.transaction() as conn:
            pending_id = await pending.upload(conn, given, anchor, ctx.now())
    except PortalError as exc:
        return await _list_page(state, ctx, publisher, status_code=exc.status,
                                errors=(FieldError(exc.field or "document", exc.detail),))
    return Redirect(f"/staff/publish/{pending_id}?notice=uploaded", status_code=303)


@get("/staff/publish/{pending_id:uuid}", include_in_schema=False, cache_control=None, dependencies=DEPENDENCIES,
     exception_handlers=EXCEPTION_HANDLERS)
async def document_page(state: State, ctx: Ctx, publisher: Publisher, anchor: TrustAnchor, pending_id: PendingId,
                        notice: Notice = None) -> Template:
    return await _document_page(state, ctx, publisher, anchor, pending_id, notice=NOTICES.get(notice or "", ""))


@post("/staff/publish/{pending_id:uuid}/signatures", include_in_schema=False, dependencies=DEPENDENCIES,
      exception_handlers=EXCEPTION_HANDLERS)
async def add_signature(state: State, ctx: Ctx, request: Request, publisher: Publisher, anchor: TrustAnchor,
                        pending_id: PendingId) -> Template | Redirect:
    form = await request.form()
    typed = str(form.get("signature") or "")[:MAX_SIGNATURE_CHARS]
    try:
        signature = form_text(form, "signature", max_chars=MAX_SIGNATURE_CHARS,
                              required="Sign with your wallet, or paste a signature made elsewhere")
        async with ctx.db.transaction() as conn:
            await pending.sign(conn, pending_id, signature or "", _staffer(publisher, request), anchor, ctx.now())
    except PortalError as exc:
        if exc.status == 404:
            raise
        return await _document_page(state, ctx, publisher, anchor, pending_id, status_code=exc.status,
                                    errors=(FieldError("signature", exc.detail),), signature=typed)
    return Redirect(f"/staff/publish/{pending_id}?notice=signed", status_code=303)


@post("/staff/publish/{pending_id:uuid}/publish", include_in_schema=False, dependencies=DEPENDENCIES,
      exception_handlers=EXCEPTION_HANDLERS)
async def publish(state: State, ctx: Ctx, request: Request, publisher: Publisher, anchor: TrustAnchor,
                  pending_id: PendingId) -> Template | Redirect:
    try:
        async with ctx.db.transaction() as conn:
            await pending.publish(conn, pending_id, _staffer(publisher, request), anchor,
                                  releases.Target(ctx.snapshots, ctx.settings.evm_chain_id), ctx.now())
    except PortalError as exc:
        if exc.status == 404:
            raise
        return await _document_page(state, ctx, publisher, anchor, pending_id, status_code=exc.status,
                                    errors=(FieldError("publish", f"Not published: {exc.detail}"),))
    return Redirect(f"/staff/publish/{pending_id}?notice=published", status_code=303)


@post("/staff/publish/{pending_id:uuid}/withdraw", include_in_schema=False, dependencies=DEPENDENCIES,
      exception_handlers=EXCEPTION_HANDLERS)
async def withdraw(ctx: Ctx, request: Request, publisher: Publisher, pending_id: PendingId) -> Redirect:
    async with ctx.db.transaction() as conn:
        await pending.withdraw(conn, pending_id, _staffer(publisher, request), ctx.now())
    return Redirect(f"/staff/publish/{pending_id}?notice=withdrawn", status_code=303)


@get("/staff/publish/{pending_id:uuid}/{file:str}", include_in_schema=False, cache_control=None,
     dependencies=DEPENDENCIES, exception_handlers=EXCEPTION_HANDLERS)
async def download(ctx: Ctx, publisher: Publisher, pending_id: PendingId,
                   file: Annotated[str, Parameter(max_length=80)]) -> Response[bytes]:
    """The exact document, its entries file (a release) or its signatures as ``<doc>.sig.json``, under
    the names ``portal policy publish`` and ``portal release publish`` look for beside each other."""
    async with ctx.db.transaction() as conn:
        found = await pending.files(conn, pending_id)
    if file not in found:
        raise InvalidInputError(f"this document's files are {', '.join(found)}", field="file")
    media_type = "text/markdown; charset=utf-8" if file.endswith(".md") else "application/json"
    return Response(found[file], media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{file}"'})


ROUTES = [publish_page, upload, document_page, add_signature, publish, withdraw, download]
