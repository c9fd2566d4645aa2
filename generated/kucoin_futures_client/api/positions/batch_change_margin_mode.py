from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.batch_change_margin_mode_request import BatchChangeMarginModeRequest
from ...models.batch_change_margin_mode_response import BatchChangeMarginModeResponse
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    *,
    body: BatchChangeMarginModeRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v2/position/batchChangeMarginMode",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BatchChangeMarginModeResponse | ErrorResponse | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> BatchChangeMarginModeResponse | ErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = BatchChangeMarginModeResponse.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = ErrorResponse.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorResponse.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorResponse.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BatchChangeMarginModeResponse | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BatchChangeMarginModeRequest,
) -> Response[BatchChangeMarginModeResponse | ErrorResponse]:
    """Batch Switch Margin Mode

     Switch the margin mode of several contracts at once. The switch is per
    symbol: a symbol with an open order or position fails with `50002`
    (`exist.order.or.position`) and keeps its mode, the others switch, and the
    reply is still `200000`. Every requested symbol appears in
    `data.marginMode` (with the mode it now has), except unknown symbols.

    **Choice:** an unknown symbol fails only itself: it is listed in
    `data.errors` with code `200003` and is absent from `data.marginMode`.
    A body that breaks this schema (bad `marginMode`, empty, blank or duplicate
    `symbols`, unknown keys, not JSON, a Content-Type other than
    `application/json`, more than 1 MiB, more than 1000 symbols) fails the whole
    request with HTTP 400 and code `400100`.

    **Choice:** a symbol with an open order or position fails with `50002` even
    when it already has the requested mode.

    Args:
        body (BatchChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchChangeMarginModeResponse | ErrorResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: BatchChangeMarginModeRequest,
) -> BatchChangeMarginModeResponse | ErrorResponse | None:
    """Batch Switch Margin Mode

     Switch the margin mode of several contracts at once. The switch is per
    symbol: a symbol with an open order or position fails with `50002`
    (`exist.order.or.position`) and keeps its mode, the others switch, and the
    reply is still `200000`. Every requested symbol appears in
    `data.marginMode` (with the mode it now has), except unknown symbols.

    **Choice:** an unknown symbol fails only itself: it is listed in
    `data.errors` with code `200003` and is absent from `data.marginMode`.
    A body that breaks this schema (bad `marginMode`, empty, blank or duplicate
    `symbols`, unknown keys, not JSON, a Content-Type other than
    `application/json`, more than 1 MiB, more than 1000 symbols) fails the whole
    request with HTTP 400 and code `400100`.

    **Choice:** a symbol with an open order or position fails with `50002` even
    when it already has the requested mode.

    Args:
        body (BatchChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchChangeMarginModeResponse | ErrorResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BatchChangeMarginModeRequest,
) -> Response[BatchChangeMarginModeResponse | ErrorResponse]:
    """Batch Switch Margin Mode

     Switch the margin mode of several contracts at once. The switch is per
    symbol: a symbol with an open order or position fails with `50002`
    (`exist.order.or.position`) and keeps its mode, the others switch, and the
    reply is still `200000`. Every requested symbol appears in
    `data.marginMode` (with the mode it now has), except unknown symbols.

    **Choice:** an unknown symbol fails only itself: it is listed in
    `data.errors` with code `200003` and is absent from `data.marginMode`.
    A body that breaks this schema (bad `marginMode`, empty, blank or duplicate
    `symbols`, unknown keys, not JSON, a Content-Type other than
    `application/json`, more than 1 MiB, more than 1000 symbols) fails the whole
    request with HTTP 400 and code `400100`.

    **Choice:** a symbol with an open order or position fails with `50002` even
    when it already has the requested mode.

    Args:
        body (BatchChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchChangeMarginModeResponse | ErrorResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: BatchChangeMarginModeRequest,
) -> BatchChangeMarginModeResponse | ErrorResponse | None:
    """Batch Switch Margin Mode

     Switch the margin mode of several contracts at once. The switch is per
    symbol: a symbol with an open order or position fails with `50002`
    (`exist.order.or.position`) and keeps its mode, the others switch, and the
    reply is still `200000`. Every requested symbol appears in
    `data.marginMode` (with the mode it now has), except unknown symbols.

    **Choice:** an unknown symbol fails only itself: it is listed in
    `data.errors` with code `200003` and is absent from `data.marginMode`.
    A body that breaks this schema (bad `marginMode`, empty, blank or duplicate
    `symbols`, unknown keys, not JSON, a Content-Type other than
    `application/json`, more than 1 MiB, more than 1000 symbols) fails the whole
    request with HTTP 400 and code `400100`.

    **Choice:** a symbol with an open order or position fails with `50002` even
    when it already has the requested mode.

    Args:
        body (BatchChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchChangeMarginModeResponse | ErrorResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
