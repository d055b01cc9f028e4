"""The parsed configuration made smaller, without changing what it holds.

pydantic keeps, on every model instance, a set of the field names given in the input
(`__pydantic_fields_set__`, 216 bytes each): three per application, 6 MiB at 10,000
applications for four distinct sets (issue #15). Configuration models are frozen, so nothing
changes those sets after validation (model_copy copies its own), and equal ones are shared.

For the same reason equal nested models that hold no other models are one object:
applications that share credentials or TLS settings hold one BasicAuth (with its SecretStr)
instead of one each, 3.6 MiB at 10,000 applications with one service account. Equal means
the same type, the same values and the same fields given, so that
model_dump(exclude_unset=True) is unchanged too.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class _Sharing:
    def __init__(self) -> None:
        self.fields_sets: dict[frozenset[str], set[str]] = {}
        self.models: dict[tuple[type[BaseModel], frozenset[str], BaseModel], BaseModel] = {}
        self.done: set[int] = set()  # ids of models already compacted (YAML anchors share)

    def compact(self, model: BaseModel) -> bool:
        """`model`'s fields set shared, and its nested models replaced by equal shared ones;
        whether it holds none. Only such leaves are shared: a model holding others (a link,
        with its URL) is rarely equal to another one, and hashing it hashes all it holds."""
        if id(model) in self.done:
            return False
        self.done.add(id(model))
        given = model.__pydantic_fields_set__
        key = frozenset(given)
        # object.__setattr__: the frozen model's own __setattr__ refuses any change.
        shared = self.fields_sets.setdefault(key, given)
        object.__setattr__(model, "__pydantic_fields_set__", shared)
        leaf = True
        values = model.__dict__
        for name, value in values.items():
            if isinstance(value, BaseModel):
                leaf = False
                if self.compact(value):
                    values[name] = self.shared(value)
        return leaf

    def shared(self, model: BaseModel) -> BaseModel:
        key: Any = (type(model), frozenset(model.__pydantic_fields_set__), model)
        try:
            return self.models.setdefault(key, model)
        except TypeError:  # a field holds something unhashable (a mapping): kept as it is
            return model


def compact_models(models: list[BaseModel]) -> None:
    """Compacts `models` in place (see the module's docstring); the models themselves stay the
    objects they are, only what they hold is shared."""
    sharing = _Sharing()
    for model in models:
        sharing.compact(model)
