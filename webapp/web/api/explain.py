"""`Explain`: an API field's error message in the API's own words, next to its type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import GetCoreSchemaHandler, ValidationError
from pydantic_core import PydanticCustomError, core_schema


@dataclass(frozen=True)
class Explain:
    """Annotation: replace pydantic's message for this value by `message`, or by
    `by_type[error type]` (placeholders such as {max_length} come from the error)."""

    message: str
    by_type: dict[str, str] = field(default_factory=dict, hash=False)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        def explained(value: Any, inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
            try:
                return inner(value)
            except ValidationError as exc:
                first = exc.errors()[0]
                text = self.by_type.get(first["type"], self.message)
                raise PydanticCustomError("invalid", text, first.get("ctx") or {}) from None

        return core_schema.no_info_wrap_validator_function(explained, handler(source))
