//! Vault's HTTP conventions: how a request becomes an operation with data, and how a reply
//! becomes a status and a JSON body (`Envelope` or `{"errors":[…]}`).

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::namespace::NsRef;
use vaultlab_wire::envelope::{Envelope, ErrorBody};

/// What a request asks for, as Vault's `logical.Operation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Update,
    Delete,
    List,
    /// A JSON merge patch (only `sys/namespaces/<name>` takes one here).
    Patch,
    /// OpenBao's recursive list (only `sys/namespaces` takes one here).
    Scan,
}

/// A parsed request: the path under `/v1/`, the operation, its data, and the token sent.
#[derive(Debug, Clone)]
pub struct VaultRequest {
    /// Under `/v1/`; once the namespace is resolved, the path inside it.
    pub path: String,
    pub operation: Operation,
    pub data: Map<String, Value>,
    pub token: Option<String>,
    /// `X-Vault-Namespace` as sent.
    pub namespace_header: Option<String>,
    /// The namespace that serves the request (the root until resolved).
    pub ns: NsRef,
    /// Whether the path named (part of) the namespace: OpenBao then copies no `data` to
    /// the top level, as the URL is not one of its `injectDataIntoTopRoutes`.
    pub prefixed: bool,
}

impl VaultRequest {
    /// A request with no body, header or token (tests, internal calls).
    pub fn new(path: &str, operation: Operation) -> Self {
        Self {
            path: path.to_owned(),
            operation,
            data: Map::new(),
            token: None,
            namespace_header: None,
            ns: NsRef::root(),
            prefixed: false,
        }
    }

    /// 200 with `data`, copied to the top level as well where Vault does that (a sys/
    /// path named without a namespace prefix).
    pub fn data_reply(&self, data: Value) -> Reply {
        if self.prefixed {
            Reply::data(data)
        } else {
            Reply::data_with_top_copy(data)
        }
    }

    pub fn str_field(&self, key: &str) -> Option<String> {
        match self.data.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            other => Some(other.to_string()),
        }
    }

    /// A `TypeBool` field that defaults to false when absent.
    pub fn bool_field(&self, key: &str) -> Result<bool, Reply> {
        self.bool_field_or(key, false)
    }

    /// A `TypeBool` field with Vault's schema default when absent (`sync` defaults to true).
    pub fn bool_field_or(&self, key: &str, default: bool) -> Result<bool, Reply> {
        // Vault's `parseutil.ParseBool` (mapstructure's weak decoding).
        match self.data.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(value @ Value::String(s)) => match s.as_str() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
                "0" | "f" | "F" | "false" | "FALSE" | "False" | "" => Ok(false),
                _ => Err(Reply::bad_request(field_error(
                    value,
                    key,
                    "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
                ))),
            },
            Some(Value::Number(n)) => Ok(n.as_f64().unwrap_or(0.0) != 0.0),
            Some(other) => Err(Reply::bad_request(field_error(
                other,
                key,
                &format!(
                    "'' expected type 'bool', got unconvertible type '{}'",
                    go_type(other)
                ),
            ))),
        }
    }
}

/// Vault's framework error for a parameter it cannot convert to its field's type:
/// `Field validation failed: error converting input <value> for field "<key>": <why>`.
pub fn field_error(value: &Value, key: &str, why: &str) -> String {
    let shown = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    format!("Field validation failed: error converting input {shown} for field {key:?}: {why}")
}

/// The Go type a JSON value decodes to, as Go prints it.
pub(super) fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Number(_) => "float64",
        Value::Bool(_) => "bool",
        Value::Null => "<nil>",
    }
}

/// The request's token: `X-Vault-Token`, else `Authorization: Bearer …`; `None` if empty.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    headers
        .get("x-vault-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_owned())
        })
        .filter(|t| !t.is_empty())
}

/// Builds a `VaultRequest` from the raw HTTP parts, or the error Vault answers.
pub fn parse_request(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<VaultRequest, Reply> {
    let query_pairs: Vec<(String, String)> = query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let flag = |name: &str| {
        query_pairs
            .iter()
            .any(|(k, v)| k == name && matches!(v.as_str(), "true" | "1" | "t" | "True" | "TRUE"))
    };
    let (list_query, scan_query) = (flag("list"), flag("scan"));
    let operation = match method.as_str() {
        // OpenBao refuses a GET that asks for both, saying nothing.
        "GET" if list_query && scan_query => {
            return Err(Reply {
                status: StatusCode::BAD_REQUEST,
                body: Some(serde_json::json!({ "errors": [] })),
            });
        }
        "GET" if list_query => Operation::List,
        "GET" if scan_query => Operation::Scan,
        "GET" => Operation::Read,
        // Only Vault's own handlers (sys/health) serve HEAD.
        "HEAD" if path.trim_matches('/') == "sys/health" => Operation::Read,
        "PUT" | "POST" => Operation::Update,
        "DELETE" => Operation::Delete,
        "LIST" => Operation::List,
        "SCAN" => Operation::Scan,
        // Vault checks the media type first; only `sys/namespaces/<name>` takes a patch
        // (dispatch refuses it elsewhere).
        "PATCH" => match patch_refusal(headers) {
            Some(refusal) => return Err(refusal),
            None => Operation::Patch,
        },
        // Vault's CORS preflight operation, which no backend handles.
        "OPTIONS" => {
            return Err(Reply::bad_request(
                "cannot handle internal-only request operation",
            ));
        }
        _ => return Err(Reply::method_not_allowed()),
    };
    let mut data = Map::new();
    match operation {
        Operation::Read | Operation::List | Operation::Scan => {
            for (k, v) in query_pairs {
                if k == "list" || k == "scan" {
                    continue;
                }
                data.insert(k, Value::String(v));
            }
        }
        Operation::Update | Operation::Delete | Operation::Patch => {
            if !body.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Value>(body) {
                    Ok(Value::Object(map)) => data = map,
                    Ok(Value::Null) => {}
                    Ok(other) => {
                        // A patch is decoded by another part of Vault, in other words.
                        let verb = match operation {
                            Operation::Patch => "decode",
                            _ => "parse",
                        };
                        return Err(Reply::error(
                            StatusCode::BAD_REQUEST,
                            format!(
                                "failed to {verb} JSON input: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                                go_json_type(&other)
                            ),
                        ));
                    }
                    Err(e) => {
                        return Err(Reply::error(
                            StatusCode::BAD_REQUEST,
                            format!("failed to parse JSON input: {}", go_json_error(&e, body)),
                        ));
                    }
                }
            }
        }
    }
    let token = token_from_headers(headers);
    let namespace_header = headers
        .get("x-vault-namespace")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Ok(VaultRequest {
        path: path.trim_start_matches('/').to_owned(),
        operation,
        data,
        token,
        namespace_header,
        ns: NsRef::root(),
        prefixed: false,
    })
}

/// Vault's answer to a PATCH without a JSON merge patch: 400 without a media type, 415
/// with another.
fn patch_refusal(headers: &HeaderMap) -> Option<Reply> {
    let raw = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media.is_empty() {
        return Some(Reply::bad_request("mime: no media type"));
    }
    if media != "application/merge-patch+json" {
        return Some(Reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "PATCH requires Content-Type of application/merge-patch+json, provided {media}"
            ),
        ));
    }
    None
}

fn go_json_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        _ => "object",
    }
}

/// Go's `encoding/json` wording for the common syntax errors.
fn go_json_error(error: &serde_json::Error, body: &[u8]) -> String {
    if error.is_eof() {
        return "unexpected EOF".to_owned();
    }
    // serde_json reports 1-based line/column; find the offending byte.
    let mut line = 1;
    let mut column = 0;
    for (i, &b) in body.iter().enumerate() {
        if b == b'\n' {
            line += 1;
            column = 0;
            continue;
        }
        column += 1;
        if line == error.line() && column == error.column() {
            let c = body[i] as char;
            let previous = body[..i].iter().rev().find(|b| !b.is_ascii_whitespace());
            let context = if previous == Some(&b'{') {
                "looking for beginning of object key string"
            } else {
                "looking for beginning of value"
            };
            return format!("invalid character '{c}' {context}");
        }
    }
    format!("invalid JSON: {error}")
}

/// A reply: status and optional JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Option<Value>,
}

impl Reply {
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            body: None,
        }
    }

    pub fn accepted() -> Self {
        Self {
            status: StatusCode::ACCEPTED,
            body: None,
        }
    }

    pub fn error(status: StatusCode, message: impl Into<String>) -> Self {
        let body = ErrorBody {
            errors: vec![message.into()],
        };
        Self {
            status,
            body: Some(serde_json::to_value(body).expect("error body serializes")),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::error(StatusCode::BAD_REQUEST, message)
    }

    /// `404 {"errors":[]}`: a read of something that does not exist, or an empty list.
    pub fn not_found_empty() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            body: Some(serde_json::json!({ "errors": [] })),
        }
    }

    pub fn permission_denied() -> Self {
        Self::error(StatusCode::FORBIDDEN, "permission denied")
    }

    pub fn unsupported_path() -> Self {
        Self::error(
            StatusCode::NOT_FOUND,
            "1 error occurred:\n\t* unsupported path\n\n",
        )
    }

    pub fn unsupported_operation() -> Self {
        Self::error(
            StatusCode::METHOD_NOT_ALLOWED,
            "1 error occurred:\n\t* unsupported operation\n\n",
        )
    }

    /// What Vault's own HTTP handlers answer to a method they do not serve:
    /// `405 {"errors":[]}` (sys/health, sys/init, sys/seal-status, sys/leader).
    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            body: Some(serde_json::json!({ "errors": [] })),
        }
    }

    /// 400 with an empty body: Vault's answer to a request path with non-printable
    /// characters (go-cleanhttp's `PrintablePathCheckHandler`).
    pub fn bad_request_no_body() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            body: None,
        }
    }

    /// 307 to `location`: Go's ServeMux sends a path with `.`/`..` segments or `//` to its
    /// cleaned form.
    pub fn redirect(location: String) -> Self {
        Self {
            status: StatusCode::TEMPORARY_REDIRECT,
            body: Some(Value::String(location)),
        }
    }

    /// 500 for an error a Vault backend returns as a Go error, in Vault's multierror words.
    pub fn internal_error(message: impl std::fmt::Display) -> Self {
        Self::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("1 error occurred:\n\t* {message}\n\n"),
        )
    }

    /// Something Vault has that the sandbox does not: said in the sandbox's own words, with
    /// 501 (which Vault's Go client does not retry).
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::error(StatusCode::NOT_IMPLEMENTED, message)
    }

    pub fn no_handler(path: &str) -> Self {
        Self::error(
            StatusCode::NOT_FOUND,
            format!("no handler for route {path:?}. route entry not found."),
        )
    }

    /// 200 with the standard envelope around `data`.
    pub fn data(data: Value) -> Self {
        Self::envelope(Envelope {
            data: Some(data),
            ..Envelope::default()
        })
    }

    /// 200 with `data: null` and warnings (e.g. a write that only warns).
    pub fn warnings(warnings: Vec<String>) -> Self {
        Self::envelope(Envelope {
            warnings: Some(warnings),
            ..Envelope::default()
        })
    }

    /// 200 with `data: null` and `auth`: what a token's creation or renewal answers.
    pub fn auth(auth: Value, warnings: Option<Vec<String>>) -> Self {
        Self::envelope(Envelope {
            auth: Some(auth),
            warnings,
            ..Envelope::default()
        })
    }

    /// 200 with a full envelope; the request id is filled in here.
    pub fn envelope(mut envelope: Envelope) -> Self {
        envelope.request_id = uuid::Uuid::new_v4().to_string();
        Self {
            status: StatusCode::OK,
            body: Some(serde_json::to_value(envelope).expect("envelope serializes")),
        }
    }

    /// 200 with the envelope around `data`, and `data`'s keys also copied to the top
    /// level, as Vault does for a few sys/ paths (`injectDataIntoTopRoutes`).
    pub fn data_with_top_copy(data: Value) -> Self {
        let mut reply = Self::data(data.clone());
        if let (Some(Value::Object(top)), Value::Object(entries)) = (reply.body.as_mut(), data) {
            let envelope = std::mem::take(top);
            top.extend(entries);
            for (k, v) in envelope {
                top.entry(k).or_insert(v);
            }
        }
        reply
    }

    /// Vault's framework warning for request parameters a path does not know, added to a
    /// 200 envelope (a 204 or an error carries none).
    pub fn warn_ignored(mut self, req: &VaultRequest, known: &[&str]) -> Self {
        if self.status != StatusCode::OK {
            return self;
        }
        let Some(warning) = super::aws_engine::ignored_params_warning(req, known) else {
            return self;
        };
        if let Some(Value::Object(body)) = self.body.as_mut()
            && body.contains_key("request_id")
        {
            match body.get_mut("warnings") {
                Some(Value::Array(list)) => list.push(Value::String(warning)),
                _ => {
                    body.insert(
                        "warnings".into(),
                        Value::Array(vec![Value::String(warning)]),
                    );
                }
            }
        }
        self
    }

    /// 200 with a raw JSON body (sys/health, sys/seal-status, sys/mounts' top-level copy).
    pub fn raw(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body: Some(body),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        if self.status == StatusCode::TEMPORARY_REDIRECT
            && let Some(Value::String(location)) = &self.body
        {
            return Response::builder()
                .status(self.status)
                .header(header::CACHE_CONTROL, "no-store")
                .header(header::LOCATION, location.as_str())
                .header(header::CONTENT_LENGTH, "0")
                .body(Body::empty())
                .expect("valid response");
        }
        if self.status == StatusCode::BAD_REQUEST && self.body.is_none() {
            return Response::builder()
                .status(self.status)
                .header(header::CONTENT_LENGTH, "0")
                .body(Body::empty())
                .expect("valid response");
        }
        let mut builder = Response::builder()
            .status(self.status)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::CONTENT_TYPE, "application/json");
        let body = match self.body {
            Some(value) => {
                let mut bytes = serde_json::to_vec(&value).expect("reply serializes");
                bytes.push(b'\n');
                Body::from(bytes)
            }
            None => {
                builder = builder.header(header::CONTENT_LENGTH, "0");
                Body::empty()
            }
        };
        builder.body(body).expect("valid response")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: &str, query: Option<&str>, body: &str) -> Result<VaultRequest, Reply> {
        parse_request(
            &Method::from_bytes(method.as_bytes()).unwrap(),
            "aws/roles",
            query,
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn list_method_and_list_query_are_lists() {
        assert_eq!(parse("LIST", None, "").unwrap().operation, Operation::List);
        assert_eq!(
            parse("GET", Some("list=true"), "").unwrap().operation,
            Operation::List
        );
        assert_eq!(parse("GET", None, "").unwrap().operation, Operation::Read);
        assert_eq!(
            parse("POST", None, "{}").unwrap().operation,
            Operation::Update
        );
    }

    #[test]
    fn get_query_params_are_data() {
        let req = parse("GET", Some("ttl=1h&role_arn=x"), "").unwrap();
        assert_eq!(req.data["ttl"], "1h");
    }

    #[test]
    fn malformed_json_is_a_400_in_go_words() {
        let err = parse("PUT", None, "{\"type\":\"kv\"").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.body.unwrap()["errors"][0],
            "failed to parse JSON input: unexpected EOF"
        );
        let err = parse("PUT", None, "{\"a\": x}").unwrap_err();
        assert_eq!(
            err.body.unwrap()["errors"][0],
            "failed to parse JSON input: invalid character 'x' looking for beginning of value"
        );
        let err = parse("PUT", None, "{x}").unwrap_err();
        assert_eq!(
            err.body.unwrap()["errors"][0],
            "failed to parse JSON input: invalid character 'x' looking for beginning of object key string"
        );
    }
}
