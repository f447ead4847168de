"""The /api/v1/ai endpoints' payloads (pydantic: they validate and they are the OpenAPI
document's schemas)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from webapp.web.api.explain import Explain

Text = Annotated[str, Field(max_length=8000), Explain("must be text of at most 8000 characters")]
Variables = Annotated[
    dict[str, str | int | float],
    Field(max_length=20, description="Values of the template's declared variables."),
    Explain("must be an object of names to text or numbers"),
]
Money = Annotated[Decimal, PlainSerializer(lambda v: float(v), return_type=float)]
Language = Annotated[Literal["en", "de"], Explain("must be en or de")]


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Annotated[str, Field(max_length=80), Explain("must be a template name")] | None = (
        Field(None, description="A library template's name (GET /api/v1/ai/prompts).")
    )
    prompt: Text | None = Field(None, description="A custom prompt (needs OpenAI).")
    variables: Variables = Field(default_factory=dict)
    language: Language | None = Field(None, description="Default: the workspace's language.")


class VariationsRequest(GenerateRequest):
    count: Annotated[int, Field(ge=1, le=5), Explain("must be a whole number from 1 to 5")] = 3


class OptimizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: Annotated[
        str,
        Field(min_length=1, max_length=8000),
        Explain("must be the text to rewrite (at most 8000 characters)"),
    ]
    goal: Annotated[
        Literal["shorter", "more_urgent", "friendlier", "sms"],
        Explain("must be one of shorter, more_urgent, friendlier, sms"),
    ]
    language: Language | None = None


class Generated(BaseModel):
    content: str
    provider: Literal["builtin", "openai"]
    model: str
    template: str | None = None
    tokensIn: int
    tokensOut: int
    tokensUsed: int
    cost: Money = Field(description="USD, counted against the workspace's monthly AI budget.")
    fallbackReason: str | None = Field(
        None, description="Why the built-in writer answered although OpenAI is configured."
    )
    suggestions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, answer: Any) -> Generated:
        return cls(
            content=answer.content,
            provider=answer.provider,
            model=answer.model,
            template=answer.template,
            tokensIn=answer.tokens_in,
            tokensOut=answer.tokens_out,
            tokensUsed=answer.tokens_in + answer.tokens_out,
            cost=answer.cost_usd,
            fallbackReason=answer.fallback_reason,
            suggestions=answer.suggestions,
            notes=answer.notes,
        )


class GeneratedList(BaseModel):
    variations: list[Generated]
    cost: Money


class PromptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=2, max_length=80), Explain("must be 2-80 characters")]
    body: Annotated[
        str,
        Field(min_length=1, max_length=8000),
        Explain("must be the prompt (at most 8000 characters)"),
    ]
    variables: Annotated[
        list[Annotated[str, Field(max_length=60)]],
        Field(max_length=20),
        Explain("must be a list of at most 20 names"),
    ] = Field(default_factory=list)
    category: Annotated[str, Field(max_length=40)] = "custom"
    model: Annotated[str, Field(max_length=80)] = ""
    temperature: Annotated[float, Field(ge=0, le=2), Explain("must be a number from 0 to 2")] = 0.7
    max_tokens: Annotated[
        int, Field(ge=1, le=4000), Explain("must be a whole number from 1 to 4000")
    ] = 500


class PromptOut(BaseModel):
    name: str
    category: str
    body: str
    variables: list[str]
    model: str
    temperature: float
    max_tokens: int
    builtin: bool

    @classmethod
    def of(cls, t: Any) -> PromptOut:
        return cls(
            name=t.name,
            category=t.category,
            body=t.body,
            variables=list(t.variables),
            model=t.model,
            temperature=float(t.temperature),
            max_tokens=t.max_tokens,
            builtin=t.builtin,
        )


class PromptList(BaseModel):
    prompts: list[PromptOut]
