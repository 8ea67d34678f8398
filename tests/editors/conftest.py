"""The editors tests reuse the declarations factories."""

from tests.declarations.conftest import (  # noqa: F401
    campaign,
    finess,
    make_establishment,
    make_organisation,
    referential,
)
