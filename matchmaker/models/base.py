"""Declarative base and shared column types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import Enum, MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

from matchmaker.vocabulary import Vocabulary

#: Constraint names that sort and diff well in Alembic migrations.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: A FINESS number: 9 characters, kept as a string (leading zeros, 2A/2B).
FinessNumber = Annotated[str, mapped_column(String(9))]


def vocabulary_type(kind: type[Vocabulary], length: int) -> Enum:
    """A column of stored codes of ``kind``: a plain ``VARCHAR(length)`` holding the values
    (no native enum, no added constraint: the tables keep their check constraints), read
    back as members of the enum."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=True,
    )


def utcnow() -> datetime:
    """Timezone-aware now, for defaults."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
