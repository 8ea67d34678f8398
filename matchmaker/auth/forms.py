"""Account forms (Flask-WTF: every form carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from matchmaker.models import Role

REQUIRED = "Ce champ est obligatoire."


class SignUpForm(FlaskForm):
    email = EmailField(
        "Adresse électronique professionnelle",
        validators=[DataRequired(REQUIRED), Email("Adresse électronique invalide.")],
        description="Une adresse au nom de domaine de votre organisme accélère le rattachement.",
        render_kw={"autocomplete": "email"},
    )
    finess = StringField(
        "Numéro FINESS de votre organisme ou d'un de ses établissements",
        validators=[
            DataRequired(REQUIRED),
            Length(min=9, max=12, message="9 caractères attendus."),
        ],
        description=(
            "FINESS juridique (EJ) ou géographique (ET), 9 caractères, par exemple 750000000."
        ),
        render_kw={"inputmode": "text", "autocomplete": "off"},
    )
    job_title = StringField(
        "Votre fonction dans l'organisme",
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description="Par exemple « directrice », « responsable des systèmes d'information » : "
        "le collectif SI MS la voit avant de valider votre rattachement.",
        render_kw={"autocomplete": "organization-title"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired(REQUIRED)],
        description="Au moins {min} caractères.",
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Confirmez le mot de passe",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "Les deux mots de passe ne correspondent pas."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    share_contact = BooleanField(
        "J'accepte que les ESSMS voisins voient mon adresse électronique",
        description="Pour vous contacter et constituer une grappe ensemble. Modifiable ensuite.",
    )
    submit = SubmitField("Créer mon compte")


class LoginForm(FlaskForm):
    email = EmailField(
        "Adresse électronique",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Mot de passe",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Se connecter")


class ResendForm(FlaskForm):
    email = EmailField("Adresse du compte à confirmer", validators=[DataRequired(REQUIRED)])
    submit = SubmitField("Renvoyer le lien")


class AccountForm(FlaskForm):
    share_contact = BooleanField(
        "Les ESSMS voisins peuvent voir mon adresse électronique",
    )
    submit = SubmitField("Enregistrer")


class DecisionForm(FlaskForm):
    """Approve or reject one request: two submit buttons, one CSRF token."""

    approve = SubmitField("Approuver")
    reject = SubmitField("Refuser")


class LogoutForm(FlaskForm):
    submit = SubmitField("Se déconnecter")


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Adresse électronique du compte",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Recevoir un lien")


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "Nouveau mot de passe",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Confirmez le nouveau mot de passe",
        validators=[
            DataRequired(REQUIRED),
            EqualTo("password", "Les deux mots de passe ne correspondent pas."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Enregistrer le mot de passe")


class AdminAccountForm(FlaskForm):
    """An administrator changes one account: role, region, granted regions, or its state."""

    role = SelectField("Rôle", choices=[SelectChoice(role.value, role.label) for role in Role])
    region = StringField("Région (code INSEE)", validators=[Optional(), Length(max=3)])
    granted_regions = StringField(
        "Régions accordées en plus",
        validators=[Optional(), Length(max=100)],
        description="Codes INSEE séparés par des virgules (collectif couvrant plusieurs régions).",
    )
    save = SubmitField("Enregistrer")
    deactivate = SubmitField("Désactiver")
    reactivate = SubmitField("Réactiver")


class DomainsForm(FlaskForm):
    """The known e-mail domains of an OG."""

    finess_ej = StringField(
        "FINESS EJ de l'organisme", validators=[DataRequired(REQUIRED), Length(min=9, max=9)]
    )
    domains = StringField(
        "Noms de domaine connus",
        validators=[Optional(), Length(max=120)],
        description="Séparés par des virgules, par exemple asso-alpha.fr ; vide : aucun.",
    )
    submit = SubmitField("Enregistrer les domaines")
