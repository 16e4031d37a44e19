"""What the OpenAPI document says about each endpoint, keyed by Flask endpoint name.

Request bodies and query strings are the marshmallow schemas the controllers load with; the
response bodies built with `jsonify` in the controllers are described here.
"""

from marshmallow import Schema, fields, validate

from app.core.openapi import BEARER, REFRESH_COOKIE, Operation, Reply
from app.modules.account.model import (
    EmailSchema,
    PasswordChangeSchema,
    PasswordResetSchema,
    TokenSchema,
)
from app.modules.auth.model import LoginSchema, RegisterSchema
from app.modules.health.service import OK, UNAVAILABLE
from app.modules.users.model import (
    MAX_PER_PAGE,
    PageArgsSchema,
    UserCreateSchema,
    UserSchema,
    UserUpdateSchema,
)

# What login shows of the user (as in the auth controller), named for the document.
USER_SUMMARY = UserSchema(only=("id", "email", "name"))
SCHEMAS = {"UserSummary": USER_SUMMARY}


class RegisteredSchema(Schema):
    message = fields.String(required=True)
    user_id = fields.Integer(required=True)


class LoginResultSchema(Schema):
    access_token = fields.String(required=True)
    user = fields.Nested(USER_SUMMARY, required=True)


class AccessTokenSchema(Schema):
    access_token = fields.String(required=True)


class MessageSchema(Schema):
    message = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadinessSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ready", "degraded"]))
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(validate=validate.OneOf([OK, UNAVAILABLE])),
        required=True,
    )


ONE_ANSWER = "Known, unknown and inactive addresses get the same answer."
SAME_400 = "A used, expired, replaced, forged or unknown token gets the same 400."

OPERATIONS = {
    "auth.register": Operation(
        tag="auth",
        body=RegisterSchema,
        responses={201: Reply("Registered with the role `user`", RegisteredSchema)},
        errors=(409,),
        limits=("RATELIMIT_REGISTER",),
    ),
    "auth.login": Operation(
        tag="auth",
        body=LoginSchema,
        responses={
            200: Reply(
                "The access token; the refresh token comes in an HttpOnly cookie (path /auth)",
                LoginResultSchema,
                ("X-CSRF-Token",),
            )
        },
        errors=(401, 403),
        limits=("RATELIMIT_LOGIN", "RATELIMIT_LOGIN_ACCOUNT"),
        description="A wrong e-mail and a wrong password get the same 401. Failed attempts "
        "also count against the account, whatever address they come from. With "
        "REQUIRE_EMAIL_VERIFICATION on, the right password of an unverified account is a 403.",
    ),
    "auth.refresh": Operation(
        tag="auth",
        security=(REFRESH_COOKIE,),
        responses={
            200: Reply(
                "A new access token, and a new refresh cookie in place of the one sent",
                AccessTokenSchema,
                ("X-CSRF-Token",),
            )
        },
        limits=("RATELIMIT_LOGIN",),
        description="A refresh token used twice revokes its whole session.",
    ),
    "auth.logout": Operation(
        tag="auth",
        security=(BEARER, REFRESH_COOKIE),
        responses={200: Reply("The session is revoked and the cookie cleared", MessageSchema)},
    ),
    "auth.change_password": Operation(
        tag="auth",
        body=PasswordChangeSchema,
        security=(BEARER,),
        responses={200: Reply("Changed; every other session of yours is revoked", MessageSchema)},
        limits=("RATELIMIT_PASSWORD_CHANGE",),
        description="A wrong current password is a 400. The session of this token stays valid.",
    ),
    "auth.request_password_reset": Operation(
        tag="auth",
        body=EmailSchema,
        responses={202: Reply("The same answer for every address", MessageSchema)},
        errors=(404,),
        limits=("RATELIMIT_ACCOUNT_MAIL", "RATELIMIT_ACCOUNT_MAIL_ADDRESS"),
        description=f"{ONE_ANSWER} Only an active account is sent a link; it works once, and a "
        "new request replaces it. 404 when PASSWORD_RESET_ENABLED is off.",
    ),
    "auth.confirm_password_reset": Operation(
        tag="auth",
        body=PasswordResetSchema,
        responses={200: Reply("The password is set; every session is revoked", MessageSchema)},
        errors=(404,),
        limits=("RATELIMIT_ACCOUNT_CONFIRM",),
        description=SAME_400,
    ),
    "auth.request_verification": Operation(
        tag="auth",
        body=EmailSchema,
        responses={202: Reply("The same answer for every address", MessageSchema)},
        limits=("RATELIMIT_ACCOUNT_MAIL", "RATELIMIT_ACCOUNT_MAIL_ADDRESS"),
        description=f"{ONE_ANSWER} Only an active, unverified account is sent a new link.",
    ),
    "auth.confirm_verification": Operation(
        tag="auth",
        body=TokenSchema,
        responses={200: Reply("The e-mail address is verified", MessageSchema)},
        limits=("RATELIMIT_ACCOUNT_CONFIRM",),
        description=SAME_400,
    ),
    "users.list_users": Operation(
        tag="users",
        query=PageArgsSchema,
        security=(BEARER,),
        responses={
            200: Reply("One page of users", UserSchema(many=True), ("X-Total-Count", "Link"))
        },
        errors=(403,),
        limits=("RATELIMIT_USERS",),
        description=f"A per_page above {MAX_PER_PAGE} is lowered to {MAX_PER_PAGE}.",
    ),
    "users.create_user": Operation(
        tag="users",
        body=UserCreateSchema,
        security=(BEARER,),
        responses={201: Reply("The new user", UserSchema)},
        errors=(403, 409),
        limits=("RATELIMIT_USERS_CREATE",),
        description="Without a password the account exists but cannot log in.",
    ),
    "users.get_user": Operation(
        tag="users",
        security=(BEARER,),
        responses={200: Reply("The user", UserSchema)},
        errors=(404,),
        limits=("RATELIMIT_USERS",),
    ),
    "users.get_me": Operation(
        tag="users",
        security=(BEARER,),
        responses={200: Reply("Your account", UserSchema)},
        limits=("RATELIMIT_USERS",),
    ),
    "users.update_user": Operation(
        tag="users",
        body=UserUpdateSchema,
        security=(BEARER,),
        responses={200: Reply("The user as changed", UserSchema)},
        errors=(403, 404, 409),
        limits=("RATELIMIT_USERS",),
        description="A field you may not change is a 403, an unknown one a 400. Deactivating an "
        "account revokes its sessions; the last active admin cannot be demoted or deactivated "
        "(409), and admins cannot demote or deactivate themselves (403).",
    ),
    "users.delete_user": Operation(
        tag="users",
        security=(BEARER,),
        responses={204: Reply("Deleted, with its sessions and mailed links")},
        errors=(403, 404, 409),
        limits=("RATELIMIT_USERS",),
        description="The last active admin cannot be deleted (409); nor can admins delete "
        "themselves (403).",
    ),
    "health.health": Operation(
        tag="health",
        responses={200: Reply("The process is up", HealthSchema)},
        limits=(),
    ),
    "health.ready": Operation(
        tag="health",
        responses={
            200: Reply("Every dependency answers", ReadinessSchema),
            503: Reply("At least one dependency does not answer", ReadinessSchema),
        },
        limits=(),
    ),
}
