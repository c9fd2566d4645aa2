from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_response import ErrorResponse
from ...models.get_margin_mode_response import GetMarginModeResponse
from ...types import UNSET, Response


def _get_kwargs(
    *,
    symbol: str,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["symbol"] = symbol

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v2/position/getMarginMode",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorResponse | GetMarginModeResponse | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ErrorResponse | GetMarginModeResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = GetMarginModeResponse.from_dict(data)

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
) -> Response[ErrorResponse | GetMarginModeResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    symbol: str,
) -> Response[ErrorResponse | GetMarginModeResponse]:
    """Get Margin Mode

     The margin mode one contract has now.

    **Choice:** KuCoin does not document the reply for an unknown symbol: it is a
    business error with HTTP 200, code `200003` (the batch's per-symbol code). A
    query that breaks this description (no `symbol`, a blank one) fails with
    HTTP 400 and code `400100`.

    Args:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | GetMarginModeResponse]
    """

    kwargs = _get_kwargs(
        symbol=symbol,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    symbol: str,
) -> ErrorResponse | GetMarginModeResponse | None:
    """Get Margin Mode

     The margin mode one contract has now.

    **Choice:** KuCoin does not document the reply for an unknown symbol: it is a
    business error with HTTP 200, code `200003` (the batch's per-symbol code). A
    query that breaks this description (no `symbol`, a blank one) fails with
    HTTP 400 and code `400100`.

    Args:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | GetMarginModeResponse
    """

    return sync_detailed(
        client=client,
        symbol=symbol,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    symbol: str,
) -> Response[ErrorResponse | GetMarginModeResponse]:
    """Get Margin Mode

     The margin mode one contract has now.

    **Choice:** KuCoin does not document the reply for an unknown symbol: it is a
    business error with HTTP 200, code `200003` (the batch's per-symbol code). A
    query that breaks this description (no `symbol`, a blank one) fails with
    HTTP 400 and code `400100`.

    Args:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorResponse | ErrorResponse | GetMarginModeResponse]
    """

    kwargs = _get_kwargs(
        symbol=symbol,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    symbol: str,
) -> ErrorResponse | GetMarginModeResponse | None:
    """Get Margin Mode

     The margin mode one contract has now.

    **Choice:** KuCoin does not document the reply for an unknown symbol: it is a
    business error with HTTP 200, code `200003` (the batch's per-symbol code). A
    query that breaks this description (no `symbol`, a blank one) fails with
    HTTP 400 and code `400100`.

    Args:
        symbol (str): A contract symbol, e.g. XBTUSDTM. **Choice:** not empty, not blank.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorResponse | ErrorResponse | GetMarginModeResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            symbol=symbol,
        )
    ).parsed
