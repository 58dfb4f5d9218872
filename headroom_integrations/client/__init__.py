"""HeadroomClient: wrap the OpenAI or Anthropic Python SDK client, keep its API, send compressed requests.

The SDKs are optional (``pip install 'headroom-integrations[openai]'`` or
``[anthropic]``); this package never imports them itself, it calls the
client object it is given.
"""

from __future__ import annotations

from ._client import HeadroomClient

__all__ = ["HeadroomClient"]
