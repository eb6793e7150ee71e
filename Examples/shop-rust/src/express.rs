//! An Express 4 application reduced to what the shop uses: `express.json()`, routes in
//! registration order (case-insensitive, optional trailing slash, parameters decoded after
//! matching), automatic HEAD and OPTIONS, finalhandler's pages, weak ETags and 304s.

use crate::etag::weak_etag;
use crate::js;
use serde_json::{Map, Value};

/// A request as the wire delivered it: the raw path and query, headers as Node presents them.
pub struct WireRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl WireRequest {
    /// A header's value as Node presents it: repeated headers joined with ", ".
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> =
            self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }

    /// Headers Node keeps only once (the first one wins).
    pub fn single_header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A response ready for the wire (without Date and Connection, which the server adds).
pub struct WireResponse {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What a handler sees, like Express's `req`.
pub struct Req<'a> {
    pub params: Vec<(&'static str, String)>,
    pub body: &'a Value,
    pub query: Option<&'a str>,
}

impl Req<'_> {
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    /// `req.body[name]` (undefined unless the body is an object with that key).
    pub fn body_field(&self, name: &str) -> Option<&Value> {
        self.body.as_object().and_then(|object| object.get(name))
    }

    /// `req.query[name]` reduced to what `Number(...)` and `typeof` can observe.
    pub fn query_value(&self, name: &str) -> QueryValue {
        query_lookup(name, self.query)
    }
}

/// What a handler does to `res`: only the calls an ordinary Express app makes.
#[derive(Default)]
pub struct Res {
    pub status: Option<u16>,
    pub headers: Vec<(&'static str, String)>,
    /// `Some(bytes)` after `res.json`, `None` after `res.end()`.
    pub json: Option<Vec<u8>>,
}

impl Res {
    /// `res.status(code)`.
    pub fn status(&mut self, code: u16) -> &mut Self {
        self.status = Some(code);
        self
    }

    /// `res.set(name, value)`: replaces an existing header in place (Node keeps its position).
    pub fn set(&mut self, name: &'static str, value: String) -> &mut Self {
        match self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(entry) => *entry = (name, value),
            None => self.headers.push((name, value)),
        }
        self
    }

    /// `res.location(url)`: percent-encoded with encodeurl.
    pub fn location(&mut self, url: &str) -> &mut Self {
        self.set("Location", encode_url(url))
    }

    /// `res.json(value)` of a value that serialises to a JSON object or array.
    pub fn json<T: serde::Serialize + ?Sized>(&mut self, value: &T) {
        let value = serde_json::to_value(value).expect("response bodies serialise");
        self.json = Some(js::stringify(&value).into_bytes());
    }

    /// `res.end()`.
    pub fn end(&mut self) {
        self.json = None;
    }
}

/// A route handler: the application's state, the request, the response.
pub type Handler<S> = fn(&S, &Req, &mut Res);

struct Route<S> {
    method: &'static str,
    segments: Vec<Segment>,
    handler: Handler<S>,
}

enum Segment {
    Literal(&'static str),
    Param(&'static str),
}

enum Match {
    None,
    Matched(Vec<(&'static str, String)>),
    /// The path matched but a parameter is not valid percent-encoding (Express: 400).
    BadParameter,
}

/// The application: routes in registration order.
pub struct App<S> {
    routes: Vec<Route<S>>,
}

impl<S> App<S> {
    pub fn new() -> Self {
        App { routes: Vec::new() }
    }

    pub fn get(&mut self, path: &'static str, handler: Handler<S>) {
        self.add("GET", path, handler);
    }

    pub fn post(&mut self, path: &'static str, handler: Handler<S>) {
        self.add("POST", path, handler);
    }

    pub fn delete(&mut self, path: &'static str, handler: Handler<S>) {
        self.add("DELETE", path, handler);
    }

    fn add(&mut self, method: &'static str, path: &'static str, handler: Handler<S>) {
        let segments = path
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| match part.strip_prefix(':') {
                Some(name) => Segment::Param(name),
                None => Segment::Literal(part),
            })
            .collect();
        self.routes.push(Route { method, segments, handler });
    }

    /// Answers one request the way Express 4 with `app.use(express.json())` would.
    pub fn handle(&self, state: &S, request: &WireRequest) -> WireResponse {
        let method = request.method.to_ascii_uppercase();
        let empty = Value::Object(Map::new());
        // express.json() runs first, for every request.
        let body = match parse_json_body(request) {
            Ok(Some(value)) => value,
            Ok(None) => empty,
            Err(status) => return error_page(status, &method, None),
        };

        let mut allowed: Vec<&'static str> = Vec::new();
        for route in &self.routes {
            let params = match match_path(&route.segments, &request.path) {
                Match::None => continue,
                Match::BadParameter => return error_page(400, &method, None),
                Match::Matched(params) => params,
            };
            let handles = route.method == method || (method == "HEAD" && route.method == "GET");
            if !handles {
                let methods: &[&'static str] = if route.method == "GET" { &["GET", "HEAD"] } else { &[route.method] };
                for m in methods {
                    if !allowed.contains(m) {
                        allowed.push(m);
                    }
                }
                continue;
            }
            let req = Req { params, body: &body, query: request.query.as_deref() };
            let mut res = Res::default();
            (route.handler)(state, &req, &mut res);
            let status = res.status.unwrap_or(200);
            return finish(request, &method, status, res.headers, res.json, "application/json; charset=utf-8");
        }
        if method == "OPTIONS" && !allowed.is_empty() {
            let list = allowed.join(",");
            let headers = vec![("Allow", list.clone())];
            return finish(request, &method, 200, headers, Some(list.into_bytes()), "text/html; charset=utf-8");
        }
        let message = format!("Cannot {} {}", method, encode_url(&request.path));
        error_page(404, &method, Some(&message))
    }
}

/// Express 4 defaults: case-insensitive, optional trailing slash, no normalisation (`//users`
/// does not match), parameters decoded after matching.
fn match_path(segments: &[Segment], pathname: &str) -> Match {
    if !pathname.starts_with('/') {
        return Match::None;
    }
    let mut path = pathname;
    if path.len() > 1 && path.ends_with('/') {
        path = &path[..path.len() - 1];
    }
    if segments.is_empty() {
        return if path == "/" { Match::Matched(Vec::new()) } else { Match::None };
    }
    let parts: Vec<&str> = path[1..].split('/').collect();
    if parts.len() != segments.len() {
        return Match::None;
    }
    let mut raw = Vec::new();
    for (segment, part) in segments.iter().zip(parts) {
        match segment {
            Segment::Literal(literal) => {
                if !literal.eq_ignore_ascii_case(part) {
                    return Match::None;
                }
            }
            Segment::Param(name) => {
                if part.is_empty() {
                    return Match::None;
                }
                raw.push((*name, part));
            }
        }
    }
    let mut params = Vec::new();
    for (name, value) in raw {
        match decode_uri_component(value) {
            Some(decoded) => params.push((name, decoded)),
            None => return Match::BadParameter,
        }
    }
    Match::Matched(params)
}

/// `res.send` / `res.end` turned into wire bytes, with Express's ETag, freshness and HEAD rules.
fn finish(
    request: &WireRequest,
    method: &str,
    mut status: u16,
    mut headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    content_type: &str,
) -> WireResponse {
    let bytes = match body {
        Some(bytes) => bytes,
        None => {
            if status != 204 && status != 304 {
                headers.push(("Content-Length", "0".to_string()));
            }
            return WireResponse { status, headers, body: Vec::new() };
        }
    };
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
        headers.push(("Content-Type", content_type.to_string()));
    }
    headers.push(("Content-Length", bytes.len().to_string()));
    let etag = weak_etag(&bytes);
    headers.push(("ETag", etag.clone()));
    if (method == "GET" || method == "HEAD") && ((200..300).contains(&status) || status == 304) && is_fresh(request, &etag)
    {
        status = 304;
    }
    let mut body = bytes;
    if status == 204 || status == 304 {
        headers.retain(|(n, _)| {
            !["content-type", "content-length", "transfer-encoding"].contains(&n.to_ascii_lowercase().as_str())
        });
        body = Vec::new();
    }
    WireResponse { status, headers, body }
}

/// finalhandler 1.2.0's page in production: the status text, or `Cannot METHOD /path` for 404.
pub fn error_page(status: u16, _method: &str, message: Option<&str>) -> WireResponse {
    let text = escape_html(message.unwrap_or_else(|| status_text(status)));
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n\
         </head>\n<body>\n<pre>{}</pre>\n</body>\n</html>\n",
        text
    );
    let headers = vec![
        ("Content-Security-Policy", "default-src 'none'".to_string()),
        ("X-Content-Type-Options", "nosniff".to_string()),
        ("Content-Type", "text/html; charset=utf-8".to_string()),
        ("Content-Length", page.len().to_string()),
    ];
    WireResponse { status, headers, body: page.into_bytes() }
}

/// Node's reason phrases (`http.STATUS_CODES`) for the statuses this service produces.
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        _ => "Internal Server Error",
    }
}

/// `fresh` 0.5.2 as `req.fresh` uses it (responses here never carry Last-Modified).
fn is_fresh(request: &WireRequest, etag: &str) -> bool {
    let modified_since = request.header("if-modified-since").unwrap_or_default();
    let none_match = request.header("if-none-match").unwrap_or_default();
    if modified_since.is_empty() && none_match.is_empty() {
        return false;
    }
    if let Some(cache_control) = request.header("cache-control") {
        if cache_control.split(',').any(|part| js::trim(part) == "no-cache") {
            return false;
        }
    }
    if !none_match.is_empty() && none_match != "*" {
        let matches = token_list(&none_match)
            .iter()
            .any(|token| token == etag || format!("W/{}", token) == etag || *token == format!("W/{}", etag));
        if !matches {
            return false;
        }
    }
    // No Last-Modified on any response: If-Modified-Since alone is always stale.
    modified_since.is_empty()
}

/// fresh's `parseTokenList`: split on commas, leading spaces dropped.
fn token_list(text: &str) -> Vec<String> {
    let mut list = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        match c {
            ' ' if current.is_empty() => {}
            ',' => list.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    list.push(current);
    list
}

// ---- express.json() (body-parser 1.20.1, default options) ----

/// The default `limit` of 100kb.
pub const JSON_LIMIT: usize = 102_400;

/// `Ok(None)`: no JSON body (`req.body` stays `{}`); `Err(status)`: finalhandler's page.
fn parse_json_body(request: &WireRequest) -> Result<Option<Value>, u16> {
    let content_length = request.single_header("content-length");
    let has_body = request.header("transfer-encoding").is_some()
        || content_length.map(|v| !js::parse_number(v).is_nan()).unwrap_or(false);
    if !has_body {
        return Ok(None);
    }
    // type-is: the Content-Type must parse strictly and be application/json.
    let (media_type, charset) = match request.single_header("content-type").and_then(parse_content_type) {
        Some(parsed) => parsed,
        None => return Ok(None),
    };
    if media_type != "application/json" {
        return Ok(None);
    }
    let charset = charset.map(|c| c.to_ascii_lowercase()).filter(|c| !c.is_empty()).unwrap_or("utf-8".into());
    if !charset.starts_with("utf-") {
        return Err(415);
    }
    if !matches!(charset.as_str(), "utf-8" | "utf8") {
        // iconv-lite's other Unicode decoders (UTF-16/32/7) are not ported.
        return Err(415);
    }
    match request.header("content-encoding").map(|e| e.to_ascii_lowercase()).as_deref() {
        None | Some("identity") => {}
        // gzip and deflate bodies are not ported (Express inflates them).
        _ => return Err(415),
    }
    if let Some(declared) = content_length.and_then(|v| v.trim_matches(|c| c == ' ' || c == '\t').parse::<usize>().ok()) {
        if declared > JSON_LIMIT {
            return Err(413);
        }
    }
    if request.body.len() > JSON_LIMIT {
        return Err(413);
    }
    let text = String::from_utf8_lossy(&request.body);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if text.is_empty() {
        return Ok(None);
    }
    // strict mode: the first non-whitespace character must open an object or an array.
    match text.trim_start_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')).chars().next() {
        Some('{') | Some('[') => {}
        _ => return Err(400),
    }
    serde_json::from_str::<Value>(text).map(Some).map_err(|_| 400)
}

/// `content-type` 1.0.4 `parse` + media-typer's `test`: the lower-cased `type/subtype` and the
/// charset parameter; `None` wherever the packages reject the header.
pub fn parse_content_type(header: &str) -> Option<(String, Option<String>)> {
    let bytes = header.as_bytes();
    let semicolon = bytes.iter().position(|&b| b == b';');
    let type_text = js::trim(&header[..semicolon.unwrap_or(bytes.len())]);
    let parts: Vec<&str> = type_text.split('/').collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(is_token)) {
        return None;
    }
    let media_type = type_text.to_ascii_lowercase();
    let valid = |part: &str, extra: &[u8]| {
        let b = part.as_bytes();
        b.len() <= 127
            && b[0].is_ascii_alphanumeric()
            && b[1..].iter().all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    let (kind, subtype) = media_type.split_once('/')?;
    if !valid(kind, b"!#$&^_-") || !valid(subtype, b"!#$&^_.+-") {
        return None;
    }
    let mut charset = None;
    let mut i = semicolon.unwrap_or(bytes.len());
    while i < bytes.len() {
        let (key, value, next) = parameter(bytes, i)?;
        if key.eq_ignore_ascii_case("charset") {
            charset = Some(value);
        }
        i = next;
    }
    Some((media_type, charset))
}

/// One `; *key *= *value *` match anchored at `start`.
fn parameter(b: &[u8], start: usize) -> Option<(String, String, usize)> {
    let mut i = start;
    if b.get(i) != Some(&b';') {
        return None;
    }
    i += 1;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let key_start = i;
    while i < b.len() && is_token(b[i]) {
        i += 1;
    }
    if i == key_start {
        return None;
    }
    let key = String::from_utf8_lossy(&b[key_start..i]).into_owned();
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    if b.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let mut value = Vec::new();
    if b.get(i) == Some(&b'"') {
        i += 1;
        loop {
            let c = *b.get(i)?;
            if c == b'"' {
                i += 1;
                break;
            }
            if c == b'\\' {
                let next = *b.get(i + 1)?;
                if !(next == 0x0B || next >= 0x20) {
                    return None;
                }
                value.push(next);
                i += 2;
                continue;
            }
            let qdtext = c == 0x0B || c == 0x20 || c == 0x21 || (0x23..=0x5B).contains(&c) || (0x5D..=0x7E).contains(&c);
            if !(qdtext || c >= 0x80) {
                return None;
            }
            value.push(c);
            i += 1;
        }
    } else {
        let value_start = i;
        while i < b.len() && is_token(b[i]) {
            i += 1;
        }
        if i == value_start {
            return None;
        }
        value = b[value_start..i].to_vec();
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    Some((key, String::from_utf8_lossy(&value).into_owned(), i))
}

fn is_token(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+.^_`|~-".contains(&c)
}

// ---- the query string (qs 6.11, Express's "extended" parser) ----

/// What `req.query[name]` can be, as far as `Number()` and `typeof` can tell.
#[derive(Debug, PartialEq)]
pub enum QueryValue {
    Absent,
    String(String),
    /// An array or object (`a[]=1`, `a=1&a=2`, `a[b]=1`), with `String(value)`.
    Composite(String),
}

impl QueryValue {
    /// `Number(req.query.x ?? fallback)`.
    pub fn number(&self, fallback: f64) -> f64 {
        match self {
            QueryValue::Absent => fallback,
            QueryValue::String(text) | QueryValue::Composite(text) => js::parse_number(text),
        }
    }
}

/// Enough of qs to answer for one top-level key.
pub fn query_lookup(name: &str, raw_query: Option<&str>) -> QueryValue {
    let raw_query = match raw_query {
        Some(raw_query) => raw_query,
        None => return QueryValue::Absent,
    };
    let mut values = Vec::new();
    let mut is_object = false;
    let mut bracket_form = false;
    let prefix = format!("{}[", name);
    for part in raw_query.split('&').take(1000) {
        // qs: `]=` wins over the first `=` so that `a[b=c]=d` keeps its key.
        let equals = part.find("]=").map(|i| i + 1).or_else(|| part.find('='));
        let (raw_key, raw_value) = match equals {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, ""),
        };
        let key = decode_query_component(raw_key);
        let value = decode_query_component(raw_value);
        if key == name {
            values.push(value);
        } else if let Some(rest) = key.strip_prefix(&prefix) {
            bracket_form = true;
            let close = match rest.find(']') {
                Some(close) => close,
                None => continue,
            };
            let inner = &rest[..close];
            if inner.contains('[') {
                continue;
            }
            let is_index = inner.is_empty() || inner.parse::<u32>().map(|i| i <= 20 && inner.is_ascii()).unwrap_or(false);
            if !is_index {
                is_object = true;
            }
            values.push(value);
        }
    }
    if values.is_empty() {
        return QueryValue::Absent;
    }
    if is_object {
        return QueryValue::Composite("[object Object]".to_string());
    }
    if values.len() == 1 && !raw_query.is_empty() {
        let value = values.remove(0);
        return if bracket_form { QueryValue::Composite(value) } else { QueryValue::String(value) };
    }
    QueryValue::Composite(values.join(","))
}

// ---- percent coding ----

/// `decodeURIComponent`: `None` where JavaScript throws URIError (bad escape, invalid UTF-8).
pub fn decode_uri_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut run = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = bytes.get(i + 1).and_then(|&b| hex_value(b))?;
            let low = bytes.get(i + 2).and_then(|&b| hex_value(b))?;
            run.push(high << 4 | low);
            i += 3;
        } else {
            if !run.is_empty() {
                std::str::from_utf8(&run).ok()?;
                out.append(&mut run);
            }
            out.push(bytes[i]);
            i += 1;
        }
    }
    if !run.is_empty() {
        std::str::from_utf8(&run).ok()?;
        out.append(&mut run);
    }
    String::from_utf8(out).ok()
}

/// qs's decoder: `+` becomes a space, then `decodeURIComponent`, keeping the text when that fails.
fn decode_query_component(text: &str) -> String {
    let plus = text.replace('+', " ");
    decode_uri_component(&plus).unwrap_or(plus)
}

/// The `encodeurl` package (1.0.2): encode what is not allowed in a URL, keep valid `%XX`
/// escapes, turn a stray `%` into `%25`.
pub fn encode_url(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'%' {
            let valid = bytes.get(i + 1).and_then(|&c| hex_value(c)).is_some()
                && bytes.get(i + 2).and_then(|&c| hex_value(c)).is_some();
            out.push_str(if valid { "%" } else { "%25" });
        } else if matches!(b, 0x21 | 0x25 | 0x26..=0x3B | 0x3D | 0x3F..=0x5B | 0x5D | 0x5F | 0x61..=0x7A | 0x7E) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{:02X}", b));
        }
    }
    out
}

/// escape-html: `& < > " '`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_encodes_like_javascript() {
        assert_eq!(decode_uri_component("a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(decode_uri_component("%C3%A9").as_deref(), Some("é"));
        assert_eq!(decode_uri_component("%ZZ"), None);
        assert_eq!(decode_uri_component("%C3"), None);
        assert_eq!(encode_url("/a b/%zz/%41<é>"), "/a%20b/%25zz/%41%3C%C3%A9%3E");
        assert_eq!(escape_html("Cannot GET /<a href='x'>&"), "Cannot GET /&lt;a href=&#39;x&#39;&gt;&amp;");
    }

    #[test]
    fn parses_queries_like_qs() {
        assert_eq!(query_lookup("limit", None), QueryValue::Absent);
        assert_eq!(query_lookup("limit", Some("limit=2")), QueryValue::String("2".into()));
        assert_eq!(query_lookup("limit", Some("limit=1&limit=2")), QueryValue::Composite("1,2".into()));
        assert_eq!(query_lookup("limit", Some("limit[]=3")), QueryValue::Composite("3".into()));
        assert_eq!(query_lookup("limit", Some("limit[a]=3")), QueryValue::Composite("[object Object]".into()));
        assert_eq!(query_lookup("date", Some("date=2026+06%2D02")), QueryValue::String("2026 06-02".into()));
    }

    #[test]
    fn parses_content_types_strictly() {
        assert_eq!(parse_content_type("application/json"), Some(("application/json".into(), None)));
        assert_eq!(
            parse_content_type("Application/JSON; charset=\"UTF-8\""),
            Some(("application/json".into(), Some("UTF-8".into())))
        );
        assert_eq!(parse_content_type("application/json;"), None);
        assert_eq!(parse_content_type("json"), None);
    }

    #[test]
    fn matches_routes_like_express() {
        let segments = vec![Segment::Literal("users"), Segment::Param("id")];
        let params = |m: Match| match m {
            Match::Matched(p) => Some(p),
            _ => None,
        };
        assert_eq!(params(match_path(&segments, "/USERS/1/")), Some(vec![("id", "1".to_string())]));
        assert_eq!(params(match_path(&segments, "/users/a%2Fb")), Some(vec![("id", "a/b".to_string())]));
        assert!(params(match_path(&segments, "//users/1")).is_none());
        assert!(params(match_path(&segments, "/users/1//")).is_none());
        assert!(matches!(match_path(&segments, "/users/%ZZ"), Match::BadParameter));
    }
}
