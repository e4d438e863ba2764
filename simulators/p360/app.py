"""The Public 360 SIF simulator: four WCF-style SOAP 1.1 services over the synthetic population.

Served paths mirror a real 360 installation (``BasicHttpBinding``, HTTP Basic):

- ``/SI.WS.Core/SIF/CaseService.svc`` — GetCases, CreateCase, Ping
- ``/SI.WS.Core/SIF/DocumentService.svc`` — GetDocuments, CreateDocument, Ping
- ``/SI.WS.Core/SIF/FileService.svc`` — GetFileWithMetadata, Ping
- ``/SI.WS.Core/SIF/ContactService.svc`` — GetPrivatePersons, Ping

each with its WSDL at ``?wsdl`` (the unchanged vendored contract, addresses pointed here).
Admin (no auth): the :class:`~simulators.admin.SimulatorControl` routes plus
``POST /_admin/cases/{case_number}/decision`` with an optional JSON body
``{"title": ..., "outcome": ...}``, which files a decision (vedtak) on the case like a case
officer would.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from contracts import wsdl_dir
from simulators.admin import SimulatorControl
from simulators.p360.handlers import SifService
from simulators.population import Population
from simulators.soap import BasicCredentials, SoapEndpoint, SoapFault

__all__ = ["BASE_PATH", "build_app", "endpoints"]

BASE_PATH: Final = "/SI.WS.Core/SIF"
SYSTEM: Final = "p360"


# The replies that grow with what a person has, rendered without zeep's serializer.
_PLAIN_REPLIES: Final[dict[str, tuple[str, ...]]] = {
    "CaseService": ("GetCases",),
    "DocumentService": ("GetDocuments",),
    "ContactService": ("GetPrivatePersons",),
}


def _wcf_internal_error(operation: str) -> SoapFault:
    """What WCF answers for an unhandled exception when exception details are off."""
    return SoapFault(
        "Server",
        "The server was unable to process the request due to an internal error. For more "
        "information about the error, either turn on IncludeExceptionDetailInFaults (either "
        "from ServiceBehaviorAttribute or from the <serviceDebug> configuration behavior) on "
        "the server in order to send the exception information back to the client, or turn on "
        "tracing as per the Microsoft .NET Framework SDK documentation and inspect the server "
        f"trace logs. (operation {operation})",
    )


def endpoints(
    service: SifService, credentials: BasicCredentials, control: SimulatorControl
) -> dict[str, SoapEndpoint]:
    """The four SIF services by name (``CaseService`` ...), each on its vendored WSDL."""
    handlers: dict[str, dict[str, Any]] = {
        "CaseService": {
            "Ping": service.ping_case,
            "GetCases": service.get_cases,
            "CreateCase": service.create_case,
        },
        "DocumentService": {
            "Ping": service.ping_document,
            "GetDocuments": service.get_documents,
            "CreateDocument": service.create_document,
        },
        "FileService": {
            "Ping": service.ping_file,
            "GetFileWithMetadata": service.get_file_with_metadata,
        },
        "ContactService": {
            "Ping": service.ping_contact,
            "GetPrivatePersons": service.get_private_persons,
        },
    }
    return {
        name: SoapEndpoint(
            wsdl_dir("p360") / f"{name}.wsdl",
            operations,
            credentials=credentials,
            hooks=control,
            injected_error=_wcf_internal_error,
            plain_replies=_PLAIN_REPLIES.get(name, ()),
        )
        for name, operations in handlers.items()
    }


def _endpoints(
    service: SifService, credentials: BasicCredentials, control: SimulatorControl
) -> list[BaseRoute]:
    return [
        endpoint.route(f"{BASE_PATH}/{name}.svc")
        for name, endpoint in endpoints(service, credentials, control).items()
    ]


def _decision_route(service: SifService) -> Route:
    async def add_decision(request: Request) -> Response:
        case_number = request.path_params["case_number"]
        title = outcome = None
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                return JSONResponse({"error": "body is not JSON"}, status_code=400)
            if not isinstance(body, dict):
                return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
            title, outcome = body.get("title"), body.get("outcome")
            if not all(value is None or isinstance(value, str) for value in (title, outcome)):
                return JSONResponse({"error": "title and outcome must be strings"}, status_code=400)
        if service.population.case_by_number(case_number) is None:
            return JSONResponse({"error": "no such case"}, status_code=404)
        document = service.add_decision(case_number, title, outcome)
        return JSONResponse(
            {
                "case_number": case_number,
                "recno": document.recno,
                "document_number": document.document_number,
                "title": document.title,
            },
            status_code=201,
        )

    # {case_number:path}: case numbers contain a slash ("2024/01234").
    return Route("/_admin/cases/{case_number:path}/decision", add_decision, methods=["POST"])


def _limits_route(service: SifService) -> Route:
    """``GET``/``POST /_admin/limits``: the archive's size limits (``max_file_bytes``,
    ``max_document_bytes``, positive integers; a POST changes the ones it names)."""

    async def limits(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return JSONResponse({"error": "body is not JSON"}, status_code=400)
            if not isinstance(body, dict) or not set(body) <= _LIMITS:
                return JSONResponse({"error": f"known limits: {sorted(_LIMITS)}"}, status_code=400)
            if not all(
                isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in body.values()
            ):
                return JSONResponse({"error": "limits are positive integers"}, status_code=400)
            for name, value in body.items():
                setattr(service, name, value)
        return JSONResponse({name: getattr(service, name) for name in sorted(_LIMITS)})

    return Route("/_admin/limits", limits, methods=["GET", "POST"])


_LIMITS: Final = frozenset({"max_file_bytes", "max_document_bytes"})


def build_app(
    population: Population,
    control: SimulatorControl,
    *,
    username: str,
    password: str,
) -> Starlette:
    """The P360 simulator app (HTTP Basic on the services; ``/_admin/*`` open)."""
    service = SifService(population)
    credentials = BasicCredentials(username, password)
    routes = [
        *control.admin_routes([_decision_route(service), _limits_route(service)]),
        *_endpoints(service, credentials, control),
    ]
    return Starlette(routes=routes)
