"""What the API's response models and list endpoints share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict

from scimhub.storage.keyset import MAX_PAGE

__all__ = ["After", "Limit", "Record"]


class Record(BaseModel):
    """A response model read from a service's record (a frozen dataclass) by attribute name:
    ``UserOut.model_validate(user)``."""

    model_config = ConfigDict(from_attributes=True)


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
After = Annotated[str | None, Query(description="`next_cursor` of the previous page")]
