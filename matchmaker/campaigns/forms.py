"""Forms of the campaign console (Flask-WTF: each carries its CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import Select

from importers.geography import PROGRAMME_REGIONS, REGIONS
from matchmaker.campaigns.adjust import ACTIONS
from matchmaker.models.uploads import ADMIN_UPLOAD_KINDS, UPLOAD_KIND_LABELS
from matchmaker.vocabulary import RunMode, UploadKind

REQUIRED = "Ce champ est obligatoire."


def choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def region_choices() -> list[SelectChoice]:
    return choices(
        [("", "— aucune (départements ci-dessous) —")]
        + [
            (code, REGIONS[code].name)
            for code in sorted(PROGRAMME_REGIONS, key=lambda c: REGIONS[c].name)
        ]
    )


class CampaignForm(FlaskForm):
    name = StringField(
        "Nom de la campagne",
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description="Par exemple « Bretagne — vague 2026 ».",
    )
    region = SelectField("Région", choices=[], validate_choice=True)
    departments = StringField(
        "Départements",
        validators=[Optional(), Length(max=400)],
        description="Codes séparés par des virgules (35, 2A, 974) ; vide : toute la région.",
    )
    opens_on = DateField("Ouverture des déclarations", validators=[Optional()])
    closes_on = DateField("Clôture des déclarations", validators=[Optional()])
    description = TextAreaField("Présentation", validators=[Optional(), Length(max=4000)])
    co_owners = StringField(
        "Autres membres du collectif qui mènent la campagne",
        validators=[Optional(), Length(max=1000)],
        description="Adresses électroniques de comptes collectif, séparées par des virgules.",
    )
    min_size = IntegerField(
        "Taille minimale d'une grappe", validators=[DataRequired(REQUIRED), NumberRange(1, 500)]
    )
    min_size_overseas = IntegerField(
        "Taille minimale en Corse et outre-mer",
        validators=[DataRequired(REQUIRED), NumberRange(1, 500)],
    )
    max_size = IntegerField(
        "Taille maximale d'une grappe", validators=[DataRequired(REQUIRED), NumberRange(1, 5000)]
    )
    max_distance_km = FloatField(
        "Distance maximale acceptable (km)",
        validators=[Optional(), NumberRange(1, 2000)],
        description="Distance maximale d'un ESSMS au centre de sa grappe. Vide : pas de "
        "limite ; la distance n'est alors qu'une préférence et la couverture passe d'abord.",
    )
    time_limit_s = FloatField(
        "Durée maximale d'un calcul (secondes)",
        validators=[Optional(), NumberRange(1, 36000)],
        description="Vide : selon la taille du calcul (5 s plus 8 s par millier d'ESSMS, "
        "au plus 280 s).",
    )
    submit = SubmitField("Enregistrer")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = region_choices()


class UploadForm(FlaskForm):
    """An upload: declarations by default; the FINESS extract only for administrators."""

    kind = SelectField(
        "Type de fichier",
        # Declarations first and by default: the file a collectif uploads most often.
        choices=choices(
            sorted(UPLOAD_KIND_LABELS.items(), key=lambda kv: kv[0] != UploadKind.DECLARATIONS)
        ),
        default=UploadKind.DECLARATIONS,
        validators=[DataRequired(REQUIRED)],
    )
    file = FileField(
        "Fichier",
        validators=[FileRequired("Choisissez un fichier.")],
        description="CSV ou Excel .xlsx (extraction FINESS : le fichier de data.gouv.fr).",
    )
    submit = SubmitField("Déposer et vérifier")

    def __init__(self, *args: object, admin: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not admin:
            self.kind.choices = choices(
                (kind, label)
                for kind, label in UPLOAD_KIND_LABELS.items()
                if kind not in ADMIN_UPLOAD_KINDS
            )
            self.file.description = "CSV ou Excel .xlsx."


class RunForm(FlaskForm):
    mode = SelectField(
        "Candidats",
        choices=choices(
            [
                (RunMode.INTEREST, "Les ESSMS ayant déclaré leur intérêt"),
                (RunMode.PLANNING, "Tous les ESSMS non embarqués du périmètre (planification)"),
            ]
        ),
    )
    parent_run_id = HiddenField()
    submit = SubmitField("Lancer le calcul")


class LongSelect(Select):
    """WTForms' select, the same HTML, for a list of thousands of options (the grappes of
    a national run): an option without extra attributes is written directly rather than
    through ``html_params`` (the run page spent a third of its time there)."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: object) -> Markup:
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{escape(choice.value)}">{label}</option>')


class AdjustForm(FlaskForm):
    action = SelectField("Ajustement", choices=choices(ACTIONS.items()))
    finess_et = StringField("FINESS ET", validators=[Optional(), Length(max=9)])
    other_finess_et = StringField(
        "Second FINESS ET",
        validators=[Optional(), Length(max=9)],
        description="Pour « garder ensemble » et « séparer ».",
    )
    grappe_id = SelectField(
        "Grappe", choices=[], validate_choice=False, coerce=str, widget=LongSelect()
    )
    carrier_ej = StringField("FINESS EJ du nouveau porteur", validators=[Optional(), Length(max=9)])
    with_og = BooleanField("Avec les autres ESSMS de son OG (même éditeur)", default=True)
    submit = SubmitField("Appliquer")


class ActionForm(FlaskForm):
    """A button that posts (publish, confirm, close…): only the CSRF token."""

    action = HiddenField()
    submit = SubmitField("Valider")
