"""Bulk operations (RFC 7644 §3.7): bulkId references, failOnErrors, one transaction each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from scimhub.config import Settings
from scimhub.scim.errors import Conflict, InvalidSyntax, InvalidValue, PayloadTooLarge, ScimError
from scimhub.scim.messages import BULK_REQUEST, BULK_RESPONSE

from .service import Context, ScimService

Doc = dict[str, Any]
_BULK_REF = re.compile(r"bulkId:([\w.~-]+)")
_PATH = re.compile(r"^/(\w+)(?:/([^/]+))?$")


@dataclass
class _Run:
    ctx: Context
    ids: dict[str, str] = field(default_factory=dict)
    results: dict[int, Doc] = field(default_factory=dict)
    errors: int = 0


class BulkProcessor:
    def __init__(self, service: ScimService, settings: Settings) -> None:
        self.service = service
        self.settings = settings

    def run(self, ctx: Context, body: Any) -> Doc:
        """Process a BulkRequest; forward bulkId references are resolved by deferring."""
        ops, fail_on = self._parse(body)
        run = _Run(ctx)
        pending = list(enumerate(ops))
        while pending and not self._stop(run, fail_on):
            ready = [(i, op) for i, op in pending if self._resolvable(op, run.ids, ops)]
            if not ready:
                break
            for i, op in ready:
                if self._stop(run, fail_on):
                    break
                self._one(run, i, op)
                pending.remove((i, op))
        if not self._stop(run, fail_on):
            for i, op in pending:
                self._fail(run, i, op, Conflict("Unresolvable or circular bulkId reference"))
        results = [run.results[i] for i in sorted(run.results)]
        return {"schemas": [BULK_RESPONSE], "Operations": results}

    def _parse(self, body: Any) -> tuple[list[Doc], int | None]:
        if not isinstance(body, dict) or BULK_REQUEST not in (body.get("schemas") or []):
            raise InvalidSyntax(f"A BulkRequest with schemas ['{BULK_REQUEST}'] is required")
        ops = body.get("Operations")
        if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
            raise InvalidSyntax("'Operations' must be a list of objects")
        if len(ops) > self.settings.max_bulk_operations:
            raise PayloadTooLarge(
                f"A bulk request may hold at most {self.settings.max_bulk_operations} operations"
            )
        fail_on = body.get("failOnErrors")
        if fail_on is not None and (not isinstance(fail_on, int) or fail_on < 1):
            raise InvalidValue("'failOnErrors' must be a positive integer")
        return ops, fail_on

    def _stop(self, run: _Run, fail_on: int | None) -> bool:
        return fail_on is not None and run.errors >= fail_on

    def _resolvable(self, op: Doc, ids: dict[str, str], ops: list[Doc]) -> bool:
        refs = _BULK_REF.findall(orjson.dumps([op.get("path"), op.get("data")]).decode())
        declared = {str(o.get("bulkId")) for o in ops if isinstance(o.get("bulkId"), str)}
        return all(r in ids or r not in declared for r in refs)

    def _one(self, run: _Run, index: int, op: Doc) -> None:
        try:
            status, doc = self._execute(run, _substitute(op, run.ids))
        except ScimError as exc:
            self._fail(run, index, op, exc)
            return
        result = _result(op, str(status))
        if doc is not None:
            result["location"] = doc["meta"]["location"]
            result["version"] = doc["meta"]["version"]
            if op.get("method", "").upper() == "POST" and op.get("bulkId"):
                run.ids[str(op["bulkId"])] = doc["id"]
        run.results[index] = result

    def _execute(self, run: _Run, op: Doc) -> tuple[int, Doc | None]:
        method = str(op.get("method", "")).upper()
        bulk_id = op.get("bulkId")
        if bulk_id is not None and (not isinstance(bulk_id, str) or not bulk_id.strip()):
            raise InvalidValue("'bulkId' must be a non-empty string")
        endpoint, rid = _target(op.get("path"), method)
        rtype = run.ctx.profile.resource_type(endpoint)
        svc, ctx, version = self.service, run.ctx, op.get("version")
        if method == "POST":
            if not op.get("bulkId"):
                raise InvalidValue("POST operations require a bulkId")
            return 201, svc.create(ctx, rtype, op.get("data"))
        assert rid is not None
        if method == "PUT":
            return 200, svc.replace(ctx, rtype, rid, op.get("data"), version)
        if method == "PATCH":
            return 200, svc.patch(ctx, rtype, rid, op.get("data"), version)
        svc.delete(ctx, rtype, rid, version)
        return 204, None

    def _fail(self, run: _Run, index: int, op: Doc, exc: ScimError) -> None:
        run.errors += 1
        result = _result(op, str(exc.status))
        result["response"] = exc.to_dict()
        run.results[index] = result


def _target(path: Any, method: str) -> tuple[str, str | None]:
    if method not in ("POST", "PUT", "PATCH", "DELETE"):
        raise InvalidValue(f"Unsupported bulk method '{method}'")
    match = _PATH.match(path) if isinstance(path, str) else None
    if match is None or (method == "POST") != (match.group(2) is None):
        raise InvalidValue(f"Invalid path '{path}' for {method}")
    return match.group(1), match.group(2)


def _substitute(op: Doc, ids: dict[str, str]) -> Doc:
    text = orjson.dumps(op).decode()
    return orjson.loads(_BULK_REF.sub(lambda m: ids.get(m.group(1), m.group(0)), text))  # type: ignore[no-any-return]


def _result(op: Doc, status: str) -> Doc:
    out: Doc = {"method": str(op.get("method", "")).upper(), "status": status}
    if isinstance(op.get("bulkId"), str):
        out["bulkId"] = op["bulkId"]
    return out
