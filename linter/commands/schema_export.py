"""``dblint schema``: JSON Schemas of rule files and of the config, from the pydantic models, so
editors (VS Code's YAML extension, JetBrains, …) validate and complete them.

The rule-file schema is built from the kinds actually loaded (built-in and installed packs): each
rule is a discriminated union on ``kind``, so ``params`` and ``fix`` are checked against that
kind's own models. The config schema has dblint's own keys and every loaded pack's sections
(``dblint_config_sections``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from linter.kinds.base import HandlerFix, Kind
from linter.load import plugins
from linter.load.config import DURATION, Config
from linter.load.rules import RuleSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _rule_model(kind: Kind[Any, Any]) -> type[BaseModel]:
    fix_types: Any = HandlerFix if kind.Fix is None else Union[kind.Fix, HandlerFix]  # noqa: UP007
    fields: dict[str, Any] = {
        name: (f.annotation, f)
        for name, f in RuleSpec.model_fields.items()
        if name not in ("kind", "params", "fix")
    }
    fields["kind"] = (Literal[kind.name], ...)  # type: ignore[valid-type]
    fields["params"] = (
        kind.Params,
        Field(default_factory=dict, description=f"Parameters of kind {kind.name}."),
    )
    fields["fix"] = (fix_types | None, Field(None, description="How --fix repairs the violations."))
    model = create_model(  # type: ignore[call-overload]
        f"Rule_{kind.name}",
        __config__=ConfigDict(extra="forbid", title=f"rule of kind {kind.name}"),
        **fields,
    )
    return model  # type: ignore[no-any-return]


def rules_schema(kinds: Mapping[str, Kind[Any, Any]]) -> dict[str, Any]:
    models = [_rule_model(k) for _, k in sorted(kinds.items())]
    rule: Any = Annotated[Union[tuple(models)], Field(discriminator="kind")]  # noqa: UP007
    rule_file = create_model(  # type: ignore[call-overload]
        "RuleFile",
        __config__=ConfigDict(extra="forbid"),
        rules=(list[rule], ...),
        vars=(
            dict[str, Any],
            Field(default_factory=dict, description="Variables and their defaults (--var NAME=VALUE)."),
        ),
    )
    schema = TypeAdapter(Union[rule_file, list[rule]]).json_schema()  # noqa: UP007
    return {"$schema": DRAFT, **schema, "title": "dblint rule file"}


def config_schema(disabled: Iterable[str] = ()) -> dict[str, Any]:
    """The config's schema: dblint's keys and the sections of the packs loaded (less ``disabled``)."""
    sections = plugins.collect_config_sections(plugins.get_plugin_manager(disabled))
    with_sections: type[BaseModel] = create_model(  # type: ignore[call-overload]
        "Config",
        __base__=Config,
        **{name: (section, None) for name, section in sorted(sections.items())},
    )
    schema = with_sections.model_json_schema(by_alias=True)
    schema.get("properties", {}).pop("source", None)  # where the file was found: not written in it
    # Durations are validated from text ("300ms", "10s", "5m") as well as numbers of seconds.
    duration = {
        "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string", "pattern": DURATION.pattern}]
    }
    for model in schema.get("$defs", {}).values():
        for name, prop in model.get("properties", {}).items():
            if name.endswith("_timeout") and prop.get("type") == "number":
                model["properties"][name] = {**duration, "default": prop.get("default")}
    return {"$schema": DRAFT, **schema, "title": "dblint configuration"}


__all__ = ["config_schema", "rules_schema"]
