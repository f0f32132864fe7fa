"""A loopback OTLP/HTTP trace receiver: decodes the protobuf export requests a process sends."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.integration.runtime.support import ThreadedServer


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span: its service, name, ids (hex) and string/int attributes."""

    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, str | int]


class OtlpReceiver(ThreadedServer):
    """Answers ``POST /v1/traces`` as a collector does; :meth:`spans` are what arrived."""

    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        super().__init__(Starlette(routes=[Route("/v1/traces", self._export, methods=["POST"])]))

    async def _export(self, request: Request) -> Response:
        export = ExportTraceServiceRequest.FromString(await request.body())
        got = []
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes: dict[str, str | int] = {
                        a.key: a.value.string_value or a.value.int_value for a in span.attributes
                    }
                    got.append(
                        ReceivedSpan(
                            service=resource.get("service.name", ""),
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            attributes=attributes,
                        )
                    )
        with self._lock:
            self._spans += got
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far."""
        with self._lock:
            return list(self._spans)
