"""What the OpenAPI document says about each endpoint, keyed by Flask endpoint name.

Request bodies and query strings are the marshmallow schemas the controllers load with; the
response bodies built with `jsonify` in the controllers are described here.
"""

from marshmallow import Schema, fields, validate

from app.core.openapi import BEARER, REFRESH_COOKIE, Operation, Reply
from app.modules.auth.model import LoginSchema, RegisterSchema
from app.modules.health.service import OK, UNAVAILABLE
from app.modules.users.model import MAX_PER_PAGE, PageArgsSchema, UserCreateSchema, UserSchema

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
        errors=(401,),
        limits=("RATELIMIT_LOGIN", "RATELIMIT_LOGIN_ACCOUNT"),
        description="A wrong e-mail and a wrong password get the same 401. Failed attempts "
        "also count against the account, whatever address they come from.",
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
