"""The error catalogue: every Vtiger error code and message the emulator can answer with.

Messages are Vtiger's own, typos included ("Authencation required"), because clients match on them.
Nothing else in the code base spells an error string.
"""

from __future__ import annotations


class WebServiceError(Exception):
    """A handled failure, rendered as {"success":false,"error":{"code","message"}} with HTTP 200."""

    def __init__(self, code: str | int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"WebServiceError({self.code!r}, {self.message!r})"


class UnknownOperation(Exception):
    """Real Vtiger throws this outside its try block: HTTP 500 with an empty body."""


# Codes (WebServiceErrorCode.php).
ACCESS_DENIED = "ACCESS_DENIED"
AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"
AUTHENTICATION_FAILURE = "AUTHENTICATION_FAILURE"
INVALID_SESSIONID = "INVALID_SESSIONID"
INVALID_AUTH_TOKEN = "INVALID_AUTH_TOKEN"
INVALID_USER_CREDENTIALS = "INVALID_USER_CREDENTIALS"
ACCESSKEY_UNDEFINED = "ACCESSKEY_UNDEFINED"
MANDATORY_FIELDS_MISSING = "MANDATORY_FIELDS_MISSING"
INVALID_ID_ATTRIBUTE = "INVALID_ID_ATTRIBUTE"
REFERENCE_INVALID = "REFERENCE_INVALID"
RECORD_NOT_FOUND = "RECORD_NOT_FOUND"
QUERY_SYNTAX_ERROR = "QUERY_SYNTAX_ERROR"
DATABASE_QUERY_ERROR = "DATABASE_QUERY_ERROR"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
UNKOWN_ENTITY = "UNKOWN_ENTITY"  # sic
LEAD_ALREADY_CONVERTED = "LEAD_ALREADY_CONVERTED"
INVALID_OLD_PASSWORD = "INVALID_OLD_PASSWORD"
NEW_PASSWORD_MISMATCH = "NEW_PASSWORD_MISMATCH"
CHANGE_PASSWORD_FAILURE = "CHANGE_PASSWORD_FAILURE"


def access_denied() -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, "Permission to perform the operation is denied")


def access_denied_for(what: str) -> WebServiceError:
    """`what` is "id" or "query"; names use access_denied_for_name."""
    return WebServiceError(ACCESS_DENIED, f"Permission to perform the operation is denied for {what}")


def access_denied_for_name(name: str) -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, f"Permission to perform the operation is denied for name : {name}")


def authentication_required() -> WebServiceError:
    return WebServiceError(AUTHENTICATION_REQUIRED, "Authencation required")


def authentication_failure() -> WebServiceError:
    return WebServiceError(AUTHENTICATION_FAILURE, "Authencation Failed")


def invalid_session() -> WebServiceError:
    return WebServiceError(INVALID_SESSIONID, "Session Identifier provided is Invalid")


def invalid_token() -> WebServiceError:
    return WebServiceError(INVALID_AUTH_TOKEN, "Specified token is invalid or expired")


def invalid_credentials() -> WebServiceError:
    return WebServiceError(INVALID_USER_CREDENTIALS, "Invalid username or password")


def accesskey_undefined() -> WebServiceError:
    return WebServiceError(ACCESSKEY_UNDEFINED, "Access key for the user is undefined")


def no_username() -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, "No username given")


def unknown_username() -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, "username does not exists")


def logout_not_post() -> WebServiceError:
    return WebServiceError(OPERATION_NOT_SUPPORTED, "Permission to perform the operation is denied")


def mandatory_missing(field: str) -> WebServiceError:
    return WebServiceError(MANDATORY_FIELDS_MISSING, f"{field} does not have a value")


def mandatory_generic() -> WebServiceError:
    return WebServiceError(MANDATORY_FIELDS_MISSING, "Mandatory field does not have a value")


def line_items_missing() -> WebServiceError:
    return WebServiceError(MANDATORY_FIELDS_MISSING, "Mandatory Fields Missing..")


def invalid_id() -> WebServiceError:
    return WebServiceError(INVALID_ID_ATTRIBUTE, "Id specified is incorrect")


def reference_invalid(field: str) -> WebServiceError:
    return WebServiceError(REFERENCE_INVALID, f"Invalid reference specified for {field}")


def record_not_found() -> WebServiceError:
    return WebServiceError(RECORD_NOT_FOUND, "Record you are trying to access is not found")


def actor_record_not_found() -> WebServiceError:
    return WebServiceError(RECORD_NOT_FOUND, "Record not found")


def write_denied() -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, "Permission to write is denied")


def duplicate_detected() -> WebServiceError:
    # Real Vtiger converts DuplicateException into an error whose code is the integer 0.
    return WebServiceError(0, "Duplicate(s) detected!")


def internal_error() -> WebServiceError:
    return WebServiceError(INTERNAL_SERVER_ERROR, "Unknown Error while processing request")


def database_error() -> WebServiceError:
    return WebServiceError(DATABASE_QUERY_ERROR, "Database error while performing requested operation")


def query_syntax(message: str) -> WebServiceError:
    return WebServiceError(QUERY_SYNTAX_ERROR, message)


def select_column_denied(field: str) -> WebServiceError:
    # The quote/dot characters are really in Vtiger's message.
    return WebServiceError(ACCESS_DENIED, f"Permission to access '.{field}.' attribute denied.")


def where_column_denied(field: str) -> WebServiceError:
    return WebServiceError(ACCESS_DENIED, f"Permission to access {field} attribute denied.")


def relation_incorrect() -> WebServiceError:
    return WebServiceError(UNKOWN_ENTITY, "Relation specified is incorrect")


def invalid_old_password() -> WebServiceError:
    return WebServiceError(INVALID_OLD_PASSWORD, "Invalid value given for old password.")


def change_password_failure() -> WebServiceError:
    return WebServiceError(CHANGE_PASSWORD_FAILURE, "Failed to change password")


def password_not_strong() -> WebServiceError:
    # The label is printed with its HTML entities, as Vtiger's language file has it.
    return WebServiceError(
        CHANGE_PASSWORD_FAILURE,
        "To keep your data safe, we suggest that you use a strong password &lt;br&gt; &lt;ul&gt; "
        "&lt;li&gt;Password should be at least 8 characters long &lt;/li&gt; &lt;li&gt;Include at least "
        "one number &lt;/li&gt; &lt;li&gt;Include at least one lowercase alphabet &lt;/li&gt; &lt;li&gt;"
        "Include at least one uppercase alphabet &lt;/li&gt; &lt;li&gt;Include at least one special "
        "character in the password &lt;/li&gt; &lt;/ul&gt;",
    )


def lead_already_converted() -> WebServiceError:
    return WebServiceError(LEAD_ALREADY_CONVERTED, "Lead is already converted")
