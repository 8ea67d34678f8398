"""Forms of the OG pages (Flask-WTF, CSRF on every one)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional

from importers.vocabulary import CHAMP_LABELS, CHAMPS
from matchmaker.vocabulary import Answer, DuiStatus, SonsStatus

DUI_CHOICES = [
    SelectChoice(DuiStatus.AUCUN, "Pas de DUI (projet d'acquisition)"),
    SelectChoice(DuiStatus.NON_REFERENCE, "Un DUI non référencé Ségur"),
    SelectChoice(DuiStatus.REFERENCE_SEGUR, "Un DUI référencé Ségur"),
]
SONS_CHOICES = [
    SelectChoice(SonsStatus.AUCUN, "Pas de commande SONS"),
    SelectChoice(SonsStatus.COMMANDE, "Commande SONS passée"),
    SelectChoice(SonsStatus.REALISE, "Prestation SONS réalisée"),
]


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (rendered as a fieldset by the form macro)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class DeclarationForm(FlaskForm):
    dui_status = RadioField(
        "Votre établissement utilise-t-il un dossier usager informatisé (DUI) ?",
        choices=DUI_CHOICES,
        default=DuiStatus.AUCUN,
    )
    editor = StringField(
        "Éditeur du DUI",
        validators=[Optional(), Length(max=200)],
        description=(
            "Choisissez dans la liste ou tapez le nom tel que vous le connaissez. Sans DUI, "
            "indiquez l'éditeur que vous préférez, si vous en avez un."
        ),
        render_kw={"autocomplete": "off"},
    )
    sons_status = RadioField(
        "Commande SONS (prestation Ségur payée par l'État à l'éditeur)",
        choices=SONS_CHOICES,
        default=SonsStatus.AUCUN,
    )
    sons_editor = StringField(
        "Éditeur de la commande SONS",
        validators=[Optional(), Length(max=200)],
        description="Laissez vide si c'est l'éditeur de votre DUI.",
        render_kw={"autocomplete": "off"},
    )
    champ = SelectField(
        "Champ d'activité",
        choices=[SelectChoice(code, f"{code} — {CHAMP_LABELS[code]}") for code in CHAMPS],
        description="Pré-rempli d'après FINESS.",
    )
    willing_carrier = BooleanField(
        "Notre organisme est prêt à porter le projet de la grappe",
        description="Le porteur pilote le projet et dialogue avec l'ARS ; il faut un SIRET.",
    )
    already_funded = BooleanField("Déjà financé par ESMS numérique pour ce projet")
    interested = BooleanField("Je souhaite rejoindre une grappe de cette campagne", default=True)
    contact_email = EmailField(
        "Adresse de contact pour ce projet",
        validators=[Optional(), Email("Adresse électronique invalide.")],
    )
    comment = TextAreaField("Commentaire", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Enregistrer la déclaration")

    def validate(self, extra_validators: Any = None) -> bool:
        """The editor is required with a DUI (also checked by the service)."""
        valid = super().validate(extra_validators)
        if self.dui_status.data != DuiStatus.AUCUN and not (self.editor.data or "").strip():
            self.editor.errors = [*self.editor.errors, "Indiquez l'éditeur de votre DUI."]
            valid = False
        return valid


class GroupDeclarationForm(DeclarationForm):
    """The same declaration for several ESSMS of the OG."""

    champ = None
    establishments = MultiCheckboxField(
        "Établissements concernés", description="Chacun garde son champ FINESS."
    )


class InterestForm(FlaskForm):
    submit = SubmitField("Signaler mon intérêt pour la campagne")


class WithdrawForm(FlaskForm):
    submit = SubmitField("Retirer mon intérêt")


class ConfirmForm(FlaskForm):
    """Confirm the declarations carried over from another campaign, as they stand."""

    submit = SubmitField("Confirmer les déclarations reprises")


class AnswerForm(FlaskForm):
    answer = RadioField(
        "Votre réponse",
        choices=[
            SelectChoice(Answer.ACCEPTE, "J'accepte de rejoindre cette grappe"),
            SelectChoice(Answer.REFUSE, "Je décline cette proposition"),
        ],
        validators=[DataRequired("Choisissez une réponse.")],
    )
    comment = TextAreaField(
        "Commentaire (facultatif)",
        validators=[Optional(), Length(max=2000)],
        description="Visible par les autres membres de la grappe et par le collectif.",
    )
    submit = SubmitField("Envoyer ma réponse")
