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
from agentctl.runtime.recording import Recorder, json_or_text

# A python or command runtime that calls a model names its endpoint in spec.runtime.env
# (a model runtime has typed fields instead: spec.runtime.model).
ENV_BASE_URL = "AGENTCTL_MODEL_BASE_URL"
ENV_MODEL = "AGENTCTL_MODEL"
ENV_KEY_ENV = "AGENTCTL_MODEL_API_KEY_ENV"
ENV_PRICE_IN = "AGENTCTL_MODEL_USD_PER_1K_INPUT_TOKENS"
ENV_PRICE_OUT = "AGENTCTL_MODEL_USD_PER_1K_OUTPUT_TOKENS"
ENV_PRICE_OLD = "AGENTCTL_USD_PER_1K_TOKENS"  # refused: one price cannot bound output cost


@dataclass
class Reply:
    message: dict[str, Any]
    input_tokens: int
    output_tokens: int
    usage: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None
    # the endpoint reported no prompt/completion split: the cost is an upper estimate
    estimated: bool = False

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def _price(env: Mapping[str, str], key: str) -> Decimal:
    raw = env.get(key)
    if not raw:
        return Decimal(0)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise ToolError(f"spec.runtime.env.{key} is not a price (got {raw!r})", hint="e.g. '0.003'")
    return value


@dataclass
class ModelClient:
    base_url: str
    model: str
    api_key: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    usd_per_1k_input: Decimal = Decimal(0)
    usd_per_1k_output: Decimal = Decimal(0)
    timeout_s: float = 120.0
    # eval's cassette: the request (url and body, never the key) recorded or replayed
    recorder: Recorder | None = None

    @classmethod
    def for_charter(
        cls,
        charter: CharterDoc,
        environ: Mapping[str, str],
        *,
        recorder: Recorder | None = None,
        **options: Any,
    ) -> ModelClient:
        rt = charter.spec.runtime
        env = rt.env
        if ENV_PRICE_OLD in env:
            raise ToolError(
                f"spec.runtime.env.{ENV_PRICE_OLD} is no longer read",
                hint="price input and output apart: usd_per_1k_input_tokens and "
                "usd_per_1k_output_tokens in spec.runtime.model (or "
                f"{ENV_PRICE_IN} and {ENV_PRICE_OUT} in spec.runtime.env)",
            )
        m = rt.model
        if m is not None:
            price_in, price_out = m.usd_per_1k_input_tokens, m.usd_per_1k_output_tokens
        else:
            price_in, price_out = _price(env, ENV_PRICE_IN), _price(env, ENV_PRICE_OUT)
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
            # a replay reaches no endpoint: CI replays without the key
            if not key and not (recorder is not None and recorder.replaying):
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
            usd_per_1k_input=price_in,
            usd_per_1k_output=price_out,
            recorder=recorder,
        )

    def cost(self, reply: Reply) -> Decimal:
        """What the reply cost, from the usage the endpoint reported. Without a
        prompt/completion split, every token is charged at the higher of the two prices."""
        if reply.estimated:
            return max(self.usd_per_1k_input, self.usd_per_1k_output) * reply.tokens / 1000
        return (
            self.usd_per_1k_input * reply.input_tokens
            + self.usd_per_1k_output * reply.output_tokens
        ) / 1000

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
        request = {"url": url, "body": body}
        if self.recorder is not None:
            answer = self.recorder.exchange(request, lambda: self._post(url, body))
        else:
            answer = self._post(url, body)
        status, data = answer.get("status"), answer.get("body")
        if not isinstance(status, int) or status >= 400:
            detail = data if isinstance(data, str) else json.dumps(data)
            raise ToolError(f"model endpoint {url}: HTTP {status}: {detail[:200]}")
        try:
            choice = data["choices"][0]  # type: ignore[index]
            message = choice["message"]
        except (KeyError, IndexError, TypeError) as exc:
            if isinstance(data, str):
                raise ToolError(f"model endpoint {url} did not answer JSON") from exc
            raise ToolError(f"model endpoint {url} answered without choices[0].message") from exc
        usage = data.get("usage") or {}  # type: ignore[union-attr]
        return _reply(message, usage, choice.get("finish_reason"), body.get("max_tokens"))

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """The live request: {status, body} (the JSON answer, or its text when it is not
        JSON); a ToolError when the endpoint cannot be reached."""
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(
            url, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return {"status": resp.status, "body": json_or_text(resp.read())}
        except urllib.error.HTTPError as exc:
            return {"status": exc.code, "body": json_or_text(exc.read()[:200])}
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ToolError(
                f"cannot reach model endpoint {url}: {getattr(exc, 'reason', exc)}"
            ) from exc


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _reply(message: dict[str, Any], usage: Any, finish: Any, max_tokens: int | None) -> Reply:
    """The tokens of a reply from its `usage`. Without prompt_tokens/completion_tokens:
    total_tokens, else the max_tokens we sent (the most it could have generated), all
    marked as estimated."""
    usage = usage if isinstance(usage, dict) else {}
    prompt = _count(usage.get("prompt_tokens"))
    completion = _count(usage.get("completion_tokens"))
    finish_reason = finish if isinstance(finish, str) else None
    if prompt is not None or completion is not None:
        return Reply(message, prompt or 0, completion or 0, usage, finish_reason)
    total = _count(usage.get("total_tokens"))
    if total is None:
        total = max_tokens or 0
    return Reply(message, 0, total, usage, finish_reason, estimated=True)
