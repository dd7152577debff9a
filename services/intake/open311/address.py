"""Where the address a client sent lives: a last paragraph of the case text, so that the
representative reads it with the description and GeoReport can give it back."""

from __future__ import annotations

_ADDRESS = "地址："
_ADDRESS_ID = "地址编号："
ADDRESS_MAX = 250


def compose_text(description: str, *, address: str | None, address_id: str | None) -> str:
    lines = [f"{_ADDRESS}{address}"] if address else []
    if address_id:
        lines.append(f"{_ADDRESS_ID}{address_id}")
    return "\n\n".join([description, "\n".join(lines)]) if lines else description


def split_text(text: str) -> tuple[str, str | None, str | None]:
    """(description, address, address_id) of a text made by `compose_text`."""
    description, separator, last = text.rpartition("\n\n")
    if not separator:
        return text, None, None
    address: str | None = None
    address_id: str | None = None
    for line in last.split("\n"):
        if line.startswith(_ADDRESS) and address is None:
            address = line.removeprefix(_ADDRESS)
        elif line.startswith(_ADDRESS_ID) and address_id is None:
            address_id = line.removeprefix(_ADDRESS_ID)
        else:
            return text, None, None
    return description, address, address_id
