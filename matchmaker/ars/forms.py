"""Forms of the ARS desk (Flask-WTF; CSRF on every form that writes)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker.ars.contacts import CHANNEL_LABELS
from matchmaker.ars.dashboard import STAGE_LABELS, champ_label
from matchmaker.ars.priorities import EDITOR_KNOWN, EDITOR_UNKNOWN
from matchmaker.models.declarations import CHAMPS


class ContactForm(FlaskForm):
    """One action of the contact log."""

    acted_on = DateField("Date de l'action", validators=[DataRequired()], default=date.today)
    channel = SelectField(
        "Canal",
        choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()],
        validators=[DataRequired()],
    )
    stage = SelectField(
        "Étape après cette action",
        choices=[SelectChoice(k, v) for k, v in STAGE_LABELS.items()],
        validators=[DataRequired()],
        description="Où en est l'établissement ou l'organisme dans la démarche.",
    )
    outcome = TextAreaField("Résultat", validators=[Optional(), Length(max=4000)])
    next_step = TextAreaField("Prochaine étape", validators=[Optional(), Length(max=4000)])
    submit = SubmitField("Enregistrer l'action")


class ChampWeightsForm(FlaskForm):
    """The region's champ weights; fields ``weight_PA``, ``weight_PH``…"""

    submit = SubmitField("Enregistrer les priorités")

    def weight_fields(self) -> list[tuple[str, Any]]:
        return [(champ, getattr(self, f"weight_{champ}")) for champ in CHAMPS]

    def weights(self) -> dict[str, int]:
        return {champ: int(field.data) for champ, field in self.weight_fields()}


def champ_weights_form(maximum: int, current: dict[str, int], **kwargs: Any) -> ChampWeightsForm:
    """A ``ChampWeightsForm`` whose fields accept 0 to ``maximum``, prefilled with
    ``current`` (a submitted form keeps the submitted values)."""

    class Form(ChampWeightsForm):
        pass

    for champ in CHAMPS:
        setattr(
            Form,
            f"weight_{champ}",
            IntegerField(
                champ_label(champ),
                validators=[InputRequired(), NumberRange(min=0, max=maximum)],
                default=current.get(champ),
            ),
        )
    return Form(**kwargs)


class FilterForm(FlaskForm):
    """Filters of the non-embarked list (read from the query string, no CSRF)."""

    class Meta:
        csrf = False

    departement = SelectField("Département", choices=[], validators=[Optional()])
    champ = SelectField(
        "Champ",
        choices=[SelectChoice("", "Tous")]
        + [SelectChoice(code, champ_label(code)) for code in CHAMPS],
        validators=[Optional()],
    )
    editeur = SelectField(
        "Éditeur",
        choices=[
            SelectChoice("", "Connu ou non"),
            SelectChoice(EDITOR_KNOWN, "Éditeur connu (déclaré)"),
            SelectChoice(EDITOR_UNKNOWN, "Éditeur inconnu"),
        ],
        validators=[Optional()],
    )
    petit_og = BooleanField("Petits OG seulement")
    isole = BooleanField("Isolés seulement")


class WhatIfForm(FlaskForm):
    """Launch a simulation on a department or the region."""

    departement = SelectField("Périmètre", choices=[], validators=[Optional()])
    campagne = SelectField(
        "Déclarations à utiliser",
        choices=[],
        validators=[Optional()],
        description="Les éditeurs déclarés dans cette campagne orientent les grappes.",
    )
    submit = SubmitField("Lancer la simulation")
