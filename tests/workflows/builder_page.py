"""Reading the workflow builder's form as a browser would post it (every field, in order,
repeated names kept), for the builder's page tests."""

from __future__ import annotations

from html.parser import HTMLParser


class BuilderFields(HTMLParser):
    """The (name, value) pairs form#builder-form posts: inputs, selected options, textareas."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._first: str | None = None
        self._chosen = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: v if v is not None else "" for k, v in attrs}
        if tag == "form":
            self._in_form = a.get("id") == "builder-form"
        if not self._in_form:
            return
        if tag == "input" and "name" in a and a.get("type") not in ("submit", "button"):
            self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select" and "name" in a:
            self._select, self._first, self._chosen = a["name"], None, False
        elif tag == "option" and self._select is not None:
            if self._first is None:
                self._first = a.get("value", "")
            if "selected" in a and not self._chosen:
                self.pairs.append((self._select, a.get("value", "")))
                self._chosen = True
        elif tag == "textarea" and "name" in a:
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            if not self._chosen:
                self.pairs.append((self._select, self._first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def builder_fields(html: str) -> list[tuple[str, str]]:
    reader = BuilderFields()
    reader.feed(html)
    return reader.pairs
