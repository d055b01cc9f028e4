"""HTTP control API under /-/sim/, so other processes can steer a running simulator."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from exporter.simulator.model import Fault

if TYPE_CHECKING:
    from exporter.simulator.app import Simulator

PREFIX = "/-/sim"


def add_control_routes(app: web.Application, sim: Simulator) -> None:
    def base(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    async def instances(request: web.Request) -> web.Response:
        out = []
        for inst in sim.instances:
            out.append(
                {
                    "name": inst.name,
                    "type": inst.type,
                    "url": f"{base(request)}/{inst.name}",
                    "version": inst.version,
                    "username": inst.username,
                    "password": inst.password,
                    "token": inst.token,
                    "viewer_username": inst.viewer_username,
                    "viewer_password": inst.viewer_password,
                    "products": [inst.address(p) for p in inst.products],
                    "crowd_apps": [dataclasses.asdict(a) for a in inst.crowd_apps],
                    "org_id": inst.org_id,
                }
            )
        return web.json_response(out)

    async def fault(request: web.Request) -> web.Response:
        name = _known(request, sim)
        data = await _json_object(request)
        if data.get("kind") is None:
            sim.set_fault(name, None)
            return web.json_response({"fault": None})
        try:
            new = Fault.from_dict(data)
        except (TypeError, ValueError) as exc:
            raise _bad_request(str(exc)) from None
        sim.set_fault(name, new)
        return web.json_response({"fault": dataclasses.asdict(new)})

    async def seats(request: web.Request) -> web.Response:
        name = _known(request, sim)
        data = await _json_object(request)
        product, used = data.get("product"), data.get("used")
        if not isinstance(product, str):
            raise _bad_request("'product' must be a string")
        if used is not None and (not isinstance(used, int) or isinstance(used, bool)):
            raise _bad_request("'used' must be an integer or null")
        try:
            sim.pin_seats(name, product, used)
        except KeyError as exc:
            raise _error(web.HTTPNotFound, str(exc.args[0])) from None
        return web.json_response({"product": product, "used": sim.seats(name, product)})

    async def requests(request: web.Request) -> web.Response:
        name = _known(request, sim)
        return web.json_response([dataclasses.asdict(r) for r in sim.requests(name)])

    async def clear_requests(request: web.Request) -> web.Response:
        sim.reset_requests(_known(request, sim))
        return web.json_response({"cleared": True})

    app.router.add_get(PREFIX + "/instances", instances)
    app.router.add_post(PREFIX + "/{name}/fault", fault)
    app.router.add_post(PREFIX + "/{name}/seats", seats)
    app.router.add_get(PREFIX + "/{name}/requests", requests)
    app.router.add_delete(PREFIX + "/{name}/requests", clear_requests)


def _known(request: web.Request, sim: Simulator) -> str:
    name = request.match_info["name"]
    if name not in sim:
        raise _error(web.HTTPNotFound, f"unknown instance {name!r}")
    return name


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json() if await request.read() else {}
    except json.JSONDecodeError:
        raise _bad_request("body is not JSON") from None
    if not isinstance(data, dict):
        raise _bad_request("body must be a JSON object")
    return data


def _bad_request(message: str) -> web.HTTPException:
    return _error(web.HTTPBadRequest, message)


def _error(cls: type[web.HTTPException], message: str) -> web.HTTPException:
    return cls(text=json.dumps({"error": message}), content_type="application/json")
