from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.change_cross_user_leverage_request import ChangeCrossUserLeverageRequest
from ...models.change_cross_user_leverage_response import (
    ChangeCrossUserLeverageResponse,
)
from ...models.error_response import ErrorResponse
from ...types import Response


def _get_kwargs(
    *,
    body: ChangeCrossUserLeverageRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v2/changeCrossUserLeverage",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ChangeCrossUserLeverageResponse | ErrorResponse | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ChangeCrossUserLeverageResponse | ErrorResponse:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = ChangeCrossUserLeverageResponse.from_dict(data)

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
) -> Response[ChangeCrossUserLeverageResponse | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeCrossUserLeverageRequest,
) -> Response[ChangeCrossUserLeverageResponse | ErrorResponse]:
    """Modify Cross Margin Leverage

     Set the cross-margin leverage of one contract. The reply's `data` is `true` once
    the leverage is set.

    **Choice:** the leverage must be from 1 to the contract's maximum (KuCoin's real
    maxima run from about 20 to over 100 by contract and are not in its spec). A
    leverage outside that range is a business error with HTTP 200, code `100001`
    (invalid parameters), and nothing changes. A leverage that is not a decimal
    number with at most four whole digits and two decimals breaks the schema.

    **Choice:** the leverage is a setting of the symbol whatever its margin mode: an
    ISOLATED symbol accepts it too (it applies while the symbol is in CROSS), and an
    open order or position does not block it (no `50002`).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`. A
    body that breaks this schema (a leverage that is not such a string, e.g. a JSON
    number, unknown keys, not JSON) fails with HTTP 400 and code `400100`, as for
    the margin-mode family.

    Args:
        body (ChangeCrossUserLeverageRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChangeCrossUserLeverageResponse | ErrorResponse | ErrorResponse]
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
    body: ChangeCrossUserLeverageRequest,
) -> ChangeCrossUserLeverageResponse | ErrorResponse | None:
    """Modify Cross Margin Leverage

     Set the cross-margin leverage of one contract. The reply's `data` is `true` once
    the leverage is set.

    **Choice:** the leverage must be from 1 to the contract's maximum (KuCoin's real
    maxima run from about 20 to over 100 by contract and are not in its spec). A
    leverage outside that range is a business error with HTTP 200, code `100001`
    (invalid parameters), and nothing changes. A leverage that is not a decimal
    number with at most four whole digits and two decimals breaks the schema.

    **Choice:** the leverage is a setting of the symbol whatever its margin mode: an
    ISOLATED symbol accepts it too (it applies while the symbol is in CROSS), and an
    open order or position does not block it (no `50002`).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`. A
    body that breaks this schema (a leverage that is not such a string, e.g. a JSON
    number, unknown keys, not JSON) fails with HTTP 400 and code `400100`, as for
    the margin-mode family.

    Args:
        body (ChangeCrossUserLeverageRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChangeCrossUserLeverageResponse | ErrorResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeCrossUserLeverageRequest,
) -> Response[ChangeCrossUserLeverageResponse | ErrorResponse]:
    """Modify Cross Margin Leverage

     Set the cross-margin leverage of one contract. The reply's `data` is `true` once
    the leverage is set.

    **Choice:** the leverage must be from 1 to the contract's maximum (KuCoin's real
    maxima run from about 20 to over 100 by contract and are not in its spec). A
    leverage outside that range is a business error with HTTP 200, code `100001`
    (invalid parameters), and nothing changes. A leverage that is not a decimal
    number with at most four whole digits and two decimals breaks the schema.

    **Choice:** the leverage is a setting of the symbol whatever its margin mode: an
    ISOLATED symbol accepts it too (it applies while the symbol is in CROSS), and an
    open order or position does not block it (no `50002`).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`. A
    body that breaks this schema (a leverage that is not such a string, e.g. a JSON
    number, unknown keys, not JSON) fails with HTTP 400 and code `400100`, as for
    the margin-mode family.

    Args:
        body (ChangeCrossUserLeverageRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ChangeCrossUserLeverageResponse | ErrorResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ChangeCrossUserLeverageRequest,
) -> ChangeCrossUserLeverageResponse | ErrorResponse | None:
    """Modify Cross Margin Leverage

     Set the cross-margin leverage of one contract. The reply's `data` is `true` once
    the leverage is set.

    **Choice:** the leverage must be from 1 to the contract's maximum (KuCoin's real
    maxima run from about 20 to over 100 by contract and are not in its spec). A
    leverage outside that range is a business error with HTTP 200, code `100001`
    (invalid parameters), and nothing changes. A leverage that is not a decimal
    number with at most four whole digits and two decimals breaks the schema.

    **Choice:** the leverage is a setting of the symbol whatever its margin mode: an
    ISOLATED symbol accepts it too (it applies while the symbol is in CROSS), and an
    open order or position does not block it (no `50002`).

    **Choice:** an unknown symbol is a business error with HTTP 200, code `200003`. A
    body that breaks this schema (a leverage that is not such a string, e.g. a JSON
    number, unknown keys, not JSON) fails with HTTP 400 and code `400100`, as for
    the margin-mode family.

    Args:
        body (ChangeCrossUserLeverageRequest):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ChangeCrossUserLeverageResponse | ErrorResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
