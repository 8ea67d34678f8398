"""Account pages: sign up, confirm, log in and out, my account, approval of requests,
the outbox (administrators)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from matchmaker.auth import admin, passwords, services
from matchmaker.auth.decorators import ANY_ROLE, public, roles_required
from matchmaker.auth.forms import (
    AccountForm,
    AdminAccountForm,
    DecisionForm,
    DomainsForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    ResendForm,
    ResetPasswordForm,
    SignUpForm,
)
from matchmaker.extensions import db, limiter, login_manager
from matchmaker.models import Organisation, OutboxMail, Role, User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Connectez-vous pour accéder à cette page."
login_manager.login_message_category = "warning"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a session cookie (``id:version``, see ``User.get_id``): none when the
    account was deactivated or its sessions ended since the cookie was issued."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def _settings() -> services.AuthSettings:
    return services.AuthSettings.from_config(current_app.config)


def _confirm_url(token: str) -> str:
    return url_for("auth.confirm", token=token, _external=True)


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Where a user lands after login."""
    if user.role == Role.OG:
        return url_for("organisations.home")
    if user.role == Role.COLLECTIF:
        return url_for("campaigns.index")
    if user.role == Role.ARS:
        return url_for("ars.dashboard")
    if user.role == Role.ADMIN:
        return url_for("auth.requests")
    return url_for("auth.account")


#: The resend form shares the login page: its fields get their own names and ids.
RESEND_PREFIX = "renvoi"


@bp.route("/inscription", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_SIGNUP"], methods=["POST"])
def sign_up() -> ResponseReturnValue:
    form = SignUpForm()
    settings = _settings()
    form.password.description = f"Au moins {settings.password_min_length} caractères."
    if form.validate_on_submit():
        try:
            services.sign_up(
                db.session,
                settings,
                email=form.email.data or "",
                password=form.password.data or "",
                finess=form.finess.data or "",
                share_contact=bool(form.share_contact.data),
                job_title=form.job_title.data,
                confirm_url=_confirm_url,
                login_url=url_for("auth.login", _external=True),
                reset_url=url_for("auth.forgot_password", _external=True),
            )
        except services.AuthError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            return render_template("auth/signup_done.html", email=form.email.data)
    return render_template("auth/signup.html", form=form)


@bp.get("/confirmer/<token>")
@public
def confirm(token: str) -> ResponseReturnValue:
    try:
        user = services.confirm_email(db.session, _settings(), token)
    except services.AuthError as error:
        db.session.rollback()
        return render_template("auth/confirm_failed.html", message=str(error)), 400
    return render_template("auth/confirmed.html", user=user)


@bp.route("/connexion", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, form.email.data or "", form.password.data or ""
            )
        except services.AuthError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            login_user(user)
            flash("Vous êtes connecté.", "success")
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("auth/login.html", form=form, resend=ResendForm(prefix=RESEND_PREFIX))


@bp.post("/confirmer/renvoyer")
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_MAIL"])
def resend() -> ResponseReturnValue:
    form = ResendForm(prefix=RESEND_PREFIX)
    if form.validate_on_submit():
        services.resend_confirmation(db.session, _settings(), form.email.data or "", _confirm_url)
    flash(
        "Si un compte non confirmé existe pour cette adresse, un nouveau lien a été envoyé.",
        "success",
    )
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_MAIL"], methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.request_password_reset(
            db.session,
            _settings(),
            form.email.data or "",
            lambda token: url_for("auth.reset_password", token=token, _external=True),
        )
        flash(
            "Si un compte existe pour cette adresse, un lien pour choisir un nouveau mot de "
            "passe vient d'être envoyé.",
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/mot-de-passe/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    settings = _settings()
    form.password.description = f"Au moins {settings.password_min_length} caractères."
    if form.validate_on_submit():
        try:
            passwords.reset_password(db.session, settings, token, form.password.data or "")
        except services.AuthError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash("Mot de passe enregistré : connectez-vous.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.post("/deconnexion")
@roles_required(*ANY_ROLE)
def logout() -> ResponseReturnValue:
    if LogoutForm().validate_on_submit():
        current_user.end_sessions()
        logout_user()
        flash("Vous êtes déconnecté.", "success")
    return redirect(url_for("main.index"))


@bp.route("/compte", methods=["GET", "POST"])
@roles_required(*ANY_ROLE)
def account() -> ResponseReturnValue:
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        current_user.share_contact = bool(form.share_contact.data)
        flash("Préférences enregistrées.", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, user=current_user)


@bp.get("/demandes")
@roles_required(Role.COLLECTIF, Role.ADMIN)
def requests() -> ResponseReturnValue:
    pending = services.pending_requests(db.session, current_user)
    requesters = [admin.describe_request(db.session, user) for user in pending]
    return render_template("auth/requests.html", requesters=requesters, form=DecisionForm())


@bp.post("/demandes/<int:user_id>")
@roles_required(Role.COLLECTIF, Role.ADMIN)
def decide(user_id: int) -> ResponseReturnValue:
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            user = services.decide(
                db.session, _settings(), current_user, user_id, approve=bool(form.approve.data)
            )
        except services.AuthError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("auth.requests")), 303
        verb = "approuvée" if form.approve.data else "refusée"
        flash(f"Demande de {user.email} {verb}.", "success")
    return redirect(url_for("auth.requests")), 303


@bp.get("/admin/courriels")
@roles_required(Role.ADMIN)
def outbox() -> ResponseReturnValue:
    mails = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(200))
    return render_template("auth/outbox.html", mails=list(mails))


# --- administration of accounts ----------------------------------------------------------------


@bp.get("/admin/comptes")
@roles_required(Role.ADMIN)
def accounts() -> ResponseReturnValue:
    filters = {key: request.args.get(key) or None for key in ("role", "region", "text", "state")}
    users = admin.list_accounts(
        db.session,
        current_user,
        role=filters["role"],
        region=filters["region"],
        text=filters["text"],
        state=filters["state"],
    )
    return render_template(
        "auth/accounts.html",
        users=users,
        filters=filters,
        roles=list(Role),
        form=AdminAccountForm(),
        domains_form=DomainsForm(),
    )


@bp.post("/admin/comptes/<int:user_id>")
@roles_required(Role.ADMIN)
def update_account(user_id: int) -> ResponseReturnValue:
    user = db.session.get(User, user_id)
    if user is None:
        flash("Ce compte n'existe pas (ou plus).", "error")
        return redirect(url_for("auth.accounts")), 303
    form = AdminAccountForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if form.deactivate.data or form.reactivate.data:
            admin.set_active(db.session, current_user, user, active=bool(form.reactivate.data))
            message = f"Compte {user.email} {'réactivé' if user.is_active else 'désactivé'}."
        else:
            changed = admin.update_account(
                db.session,
                current_user,
                user,
                role=Role(form.role.data),
                region=form.region.data,
                granted_regions=(form.granted_regions.data or "").split(","),
            )
            message = f"Compte {user.email} modifié." if changed else "Aucun changement."
    except services.AuthError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(url_for("auth.accounts")), 303


@bp.post("/admin/domaines")
@roles_required(Role.ADMIN)
def known_domains() -> ResponseReturnValue:
    form = DomainsForm()
    if form.validate_on_submit():
        organisation = db.session.get(Organisation, (form.finess_ej.data or "").strip())
        if organisation is None:
            flash(f"Organisme inconnu : « {form.finess_ej.data} ».", "error")
            return redirect(url_for("auth.accounts")), 303
        try:
            domains = admin.set_known_domains(
                db.session, current_user, organisation, (form.domains.data or "").split(",")
            )
        except services.AuthError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(
                f"Domaines connus de {organisation.name or organisation.finess_ej} : "
                f"{', '.join(domains) or 'aucun'}.",
                "success",
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return redirect(url_for("auth.accounts")), 303
