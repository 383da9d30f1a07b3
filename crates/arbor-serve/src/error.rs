//! Errors: what stops the server from starting ([`ServeError`]), and what a request gets
//! back when it cannot be answered ([`ApiError`], shaped as OpenAI's error objects).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The index could not be opened or created.
    #[error(transparent)]
    Index(#[from] arbor_index::IndexError),
    /// The repository's lint configuration is invalid.
    #[error(transparent)]
    Lint(#[from] arbor_lint::LintError),
    /// The address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port`.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// Anything else of the server itself.
    #[error("server: {0}")]
    Server(String),
}

/// A request's error: its status and an OpenAI-style body (boxed: errors are rare, results
/// common).
#[derive(Debug)]
pub struct ApiError(Box<Details>);

/// What an [`ApiError`] holds.
#[derive(Debug)]
struct Details {
    status: StatusCode,
    kind: &'static str,
    message: String,
    param: Option<&'static str>,
    code: Option<&'static str>,
    extra: Option<(&'static str, serde_json::Value)>,
}

impl ApiError {
    /// 400: the request is malformed (`param` names the field at fault).
    pub fn invalid(message: impl Into<String>, param: Option<&'static str>) -> Self {
        ApiError(Box::new(Details {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            message: message.into(),
            param,
            code: None,
            extra: None,
        }))
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.0.status = status;
        self
    }

    /// The same error with a machine-readable `code`.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.0.code = Some(code);
        self
    }

    /// The same error with one more field in its object (`column` of a bad query).
    pub fn with_field(mut self, name: &'static str, value: serde_json::Value) -> Self {
        self.0.extra = Some((name, value));
        self
    }

    /// 401: no key, or the wrong one.
    pub fn unauthorized() -> Self {
        ApiError(Box::new(Details {
            status: StatusCode::UNAUTHORIZED,
            kind: "authentication_error",
            message: "a valid API key is required: `Authorization: Bearer KEY`".into(),
            param: None,
            code: Some("invalid_api_key"),
            extra: None,
        }))
    }

    /// 404: no such route or file.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError(Box::new(Details {
            status: StatusCode::NOT_FOUND,
            kind: "not_found_error",
            message: message.into(),
            param: None,
            code: None,
            extra: None,
        }))
    }

    /// 500: the server's own failure (the message says what failed).
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError(Box::new(Details {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "server_error",
            message: message.into(),
            param: None,
            code: None,
            extra: None,
        }))
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The body: `{"error": {"message", "type", "param", "code"}}` (and any extra field).
    pub fn body(&self) -> serde_json::Value {
        let this = &self.0;
        let mut error = serde_json::json!({
            "message": this.message,
            "type": this.kind,
            "param": this.param,
            "code": this.code,
        });
        if let Some((name, value)) = &this.extra {
            error[*name] = value.clone();
        }
        serde_json::json!({ "error": error })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0.status, Json(self.body())).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        let status = rejection.status();
        let error = ApiError::invalid(rejection.body_text(), None);
        // Too large stays 413; a body that is not the expected object is a 400, not 422.
        if status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            error.with_status(status)
        } else {
            error
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::invalid(rejection.body_text(), None)
    }
}
