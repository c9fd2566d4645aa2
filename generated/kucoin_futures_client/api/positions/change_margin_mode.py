from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.change_margin_mode_request import ChangeMarginModeRequest
from ...models.change_margin_mode_response import ChangeMarginModeResponse
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ChangeMarginModeRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v2/position/changeMarginMode",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ChangeMarginModeResponse | ErrorResponse | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ChangeMarginModeResponse | ErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = ChangeMarginModeResponse.from_dict(data)

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
) -> Response[ChangeMarginModeResponse | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeMarginModeRequest,
) -> Response[ChangeMarginModeResponse | ErrorResponse]:
    """Switch Margin Mode

     Switch the margin mode of one contract. The reply has the read's shape: the
    symbol and the margin mode it has after the call.

    **Choice:** KuCoin does not document the reply for a symbol with an open
    order or position: it is a business error with HTTP 200, code `50002`
    (`exist.order.or.position`, the batch's per-symbol code), and the symbol keeps
    its mode, even when it already has the requested one (as in the batch).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`
    (the batch's per-symbol code). A body that breaks this schema fails with
    HTTP 400 and code `400100`, as for the batch.

    Args:
        body (ChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChangeMarginModeResponse | ErrorResponse | ErrorResponse]
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
    body: ChangeMarginModeRequest,
) -> ChangeMarginModeResponse | ErrorResponse | None:
    """Switch Margin Mode

     Switch the margin mode of one contract. The reply has the read's shape: the
    symbol and the margin mode it has after the call.

    **Choice:** KuCoin does not document the reply for a symbol with an open
    order or position: it is a business error with HTTP 200, code `50002`
    (`exist.order.or.position`, the batch's per-symbol code), and the symbol keeps
    its mode, even when it already has the requested one (as in the batch).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`
    (the batch's per-symbol code). A body that breaks this schema fails with
    HTTP 400 and code `400100`, as for the batch.

    Args:
        body (ChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChangeMarginModeResponse | ErrorResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeMarginModeRequest,
) -> Response[ChangeMarginModeResponse | ErrorResponse]:
    """Switch Margin Mode

     Switch the margin mode of one contract. The reply has the read's shape: the
    symbol and the margin mode it has after the call.

    **Choice:** KuCoin does not document the reply for a symbol with an open
    order or position: it is a business error with HTTP 200, code `50002`
    (`exist.order.or.position`, the batch's per-symbol code), and the symbol keeps
    its mode, even when it already has the requested one (as in the batch).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`
    (the batch's per-symbol code). A body that breaks this schema fails with
    HTTP 400 and code `400100`, as for the batch.

    Args:
        body (ChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChangeMarginModeResponse | ErrorResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeMarginModeRequest,
) -> ChangeMarginModeResponse | ErrorResponse | None:
    """Switch Margin Mode

     Switch the margin mode of one contract. The reply has the read's shape: the
    symbol and the margin mode it has after the call.

    **Choice:** KuCoin does not document the reply for a symbol with an open
    order or position: it is a business error with HTTP 200, code `50002`
    (`exist.order.or.position`, the batch's per-symbol code), and the symbol keeps
    its mode, even when it already has the requested one (as in the batch).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`
    (the batch's per-symbol code). A body that breaks this schema fails with
    HTTP 400 and code `400100`, as for the batch.

    Args:
        body (ChangeMarginModeRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChangeMarginModeResponse | ErrorResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
