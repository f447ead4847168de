"""The rules builder's form: a rule tree written as flat form fields, and back.

Each node has a path ("" is the top group, "2" its second child, "2.1" the first child of
that): `node.<path>` says "group" or "rule"; a group has `match.<path>`; a rule has
`field.<path>` (and `was.<path>`, the field it had when shown), `op.<path>`,
`value.<path>` and, for event rules, `event.<path>` and
`days.<path>`. The same numbering names rules in RulesInvalid messages ("Rule 2.1").
"""

from __future__ import annotations

from collections.abc import Mapping

MAX_NODES = 200  # a posted form with more is cut: the rule cap is far lower anyway


def _key(path: str) -> tuple[int, ...]:
    return tuple(int(p) for p in path.split(".")) if path else ()


def tree_from_form(form: Mapping[str, str]) -> dict:
    """The raw rule tree the form describes (unchecked: parse_rules checks it)."""
    paths = []
    for name in form:
        if name.startswith("node."):
            path = name[5:]
            if all(p.isdigit() and len(p) < 4 for p in path.split(".")) or path == "":
                paths.append(path)
    paths = sorted(set(paths), key=_key)[:MAX_NODES]
    nodes: dict[str, dict] = {"": _group(form, "")}
    for path in paths:
        if path == "":
            continue
        parent = nodes.get(".".join(path.split(".")[:-1]))
        if parent is None or parent.get("kind") != "group":
            continue
        node = _group(form, path) if form.get(f"node.{path}") == "group" else _rule(form, path)
        parent["rules"].append(node)
        nodes[path] = node
    return nodes[""]


def _group(form: Mapping[str, str], path: str) -> dict:
    match = form.get(f"match.{path}")
    return {"kind": "group", "match": match if match in ("all", "any") else "all", "rules": []}


def _rule(form: Mapping[str, str], path: str) -> dict:
    rule = {
        "kind": "rule",
        "field": form.get(f"field.{path}", ""),
        "operator": form.get(f"op.{path}", ""),
        "value": form.get(f"value.{path}", ""),
    }
    if form.get(f"was.{path}", rule["field"]) != rule["field"]:
        rule["operator"] = rule["value"] = ""  # a new field: its own first operator, no value
    if rule["field"] == "event":
        rule["event"] = form.get(f"event.{path}", "")
        rule["days"] = form.get(f"days.{path}") or None
    return rule


def new_rule(field: str = "status", operator: str = "equals") -> dict:
    return {"kind": "rule", "field": field, "operator": operator, "value": ""}


def apply_action(tree: dict, action: str) -> dict:
    """`add_rule:<group path>`, `add_group:<group path>` or `remove:<path>` applied."""
    verb, _, path = action.partition(":")
    if verb in ("add_rule", "add_group"):
        group = _find(tree, path)
        if group is not None and group.get("kind") == "group":
            child = new_rule()
            if verb == "add_group":
                child = {"kind": "group", "match": "any", "rules": [new_rule()]}
            group["rules"].append(child)
    elif verb == "remove" and path:
        parent = _find(tree, ".".join(path.split(".")[:-1]))
        index = int(path.split(".")[-1]) - 1 if path.split(".")[-1].isdigit() else -1
        if parent is not None and 0 <= index < len(parent.get("rules", [])):
            parent["rules"].pop(index)
    return tree


def _find(tree: dict, path: str) -> dict | None:
    node = tree
    for part in path.split(".") if path else []:
        if not part.isdigit() or node.get("kind") != "group":
            return None
        index = int(part) - 1
        if not 0 <= index < len(node["rules"]):
            return None
        node = node["rules"][index]
    return node


def display_value(value: object) -> str:
    """A stored value as the builder's input shows it (lists comma-separated)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(display_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
