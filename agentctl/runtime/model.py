"""An OpenAI-compatible chat-completions client (urllib: no SDK, no extra dependency)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from agentctl.model.kinds import CharterDoc
from agentctl.runtime.errors import ToolError

# A python or command runtime that calls a model names its endpoint in spec.runtime.env.
ENV_BASE_URL = "AGENTCTL_MODEL_BASE_URL"
ENV_MODEL = "AGENTCTL_MODEL"
ENV_KEY_ENV = "AGENTCTL_MODEL_API_KEY_ENV"
ENV_PRICE = "AGENTCTL_USD_PER_1K_TOKENS"


@dataclass
class Reply:
    message: dict[str, Any]
    tokens: int
    usage: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass
class ModelClient:
    base_url: str
    model: str
    api_key: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    usd_per_1k_tokens: Decimal = Decimal(0)
    timeout_s: float = 120.0

    @classmethod
    def for_charter(
        cls, charter: CharterDoc, environ: Mapping[str, str], **options: Any
    ) -> ModelClient:
        rt = charter.spec.runtime
        env = rt.env
        price = Decimal(0)
        if env.get(ENV_PRICE):
            try:
                price = Decimal(env[ENV_PRICE])
            except InvalidOperation:
                raise ToolError(f"spec.runtime.env.{ENV_PRICE} is not a number") from None
        m = rt.model
        base_url = options.get("base_url") or (m.base_url if m else env.get(ENV_BASE_URL))
        model = options.get("model") or (m.model if m else env.get(ENV_MODEL))
        key_env = options.get("api_key_env") or (m.api_key_env if m else env.get(ENV_KEY_ENV))
        if not base_url or not model:
            raise ToolError(
                "no model endpoint configured for this charter",
                hint=f"use a model runtime, or set {ENV_BASE_URL} and {ENV_MODEL} in "
                "spec.runtime.env",
            )
        key = None
        if key_env:
            key = environ.get(key_env)
            if not key:
                raise ToolError(
                    f"environment variable {key_env} (the model's API key) is not set",
                    hint=f"export {key_env} before the run",
                )
        return cls(
            base_url=base_url,
            model=model,
            api_key=key,
            temperature=options.get("temperature", m.temperature if m else None),
            max_tokens=options.get("max_tokens", m.max_tokens if m else None),
            usd_per_1k_tokens=price,
        )

    def cost(self, tokens: int) -> Decimal:
        return self.usd_per_1k_tokens * tokens / 1000

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]] | None = None,
        *,
        max_tokens: int | None = None,
    ) -> Reply:
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if tools:
            body["tools"] = tools
        if self.temperature is not None:
            body["temperature"] = self.temperature
        caps = [c for c in (self.max_tokens, max_tokens) if c is not None]
        if caps:
            body["max_tokens"] = max(1, min(caps))
        url = self.base_url.rstrip("/") + "/chat/completions"
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                data = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            raise ToolError(f"model endpoint {url}: HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ToolError(
                f"cannot reach model endpoint {url}: {getattr(exc, 'reason', exc)}"
            ) from exc
        except json.JSONDecodeError as exc:
            raise ToolError(f"model endpoint {url} did not answer JSON") from exc
        try:
            choice = data["choices"][0]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ToolError(f"model endpoint {url} answered without choices[0].message") from exc
        usage = data.get("usage") or {}
        tokens = int(usage.get("total_tokens") or 0) or int(usage.get("prompt_tokens") or 0) + int(
            usage.get("completion_tokens") or 0
        )
        return Reply(message, tokens, usage, choice.get("finish_reason"))
