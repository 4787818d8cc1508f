"""Small value types, defined without @dataclass.

A check is a short-lived process that defines every class on its path at start-up, and @dataclass writes each
class's methods as source code and exec()s it: about 0.5 ms a class, some 20 ms over the ~45 classes of a check,
more than checking a deploy file takes. A Record instead lists its fields in `__slots__` and writes its own
`__init__`; this base gives it what @dataclass did: equality (same class and equal fields), a repr naming the
fields, and, for a `Frozen` record, a hash. Slots whose name starts with `_` are caches, not fields: they take no
part in any of these.
"""

from __future__ import annotations


class Record:
    """A mutable value: equal to a record of the same class with equal fields, and unhashable (as @dataclass)."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__slots__ if name[0] != "_")

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._fields() == other._fields()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name[0] != "_")
        return f"{self.__class__.__qualname__}({fields})"


class Frozen(Record):
    """A value that is never changed after it is made, so it can be hashed (a set member, a dict key)."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._fields())
