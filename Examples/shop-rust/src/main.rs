//! shop-rust: `Examples/shop-legacy` (the Express 4 reference service) ported to Rust with
//! hyper, indistinguishable from Express on the wire except for its backend tag.
//!
//! Run: `shop-rust --host 127.0.0.1 --port 8080`

mod etag;
mod express;
mod js;
mod shop;

use express::{App, WireRequest, WireResponse};
use hyper::body::HttpBody;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server, Version};
use shop::Shop;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// A body is read up to this size; past it the request is answered 413 without the rest.
const READ_CAP: usize = 16 * 1024 * 1024;

struct Service {
    app: App<Shop>,
    shop: Shop,
}

fn usage() -> ! {
    eprintln!("usage: shop-rust [--host HOST] [--port PORT]");
    std::process::exit(2);
}

fn parse_args() -> (IpAddr, u16) {
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut port: u16 = 8080;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--host" => host = value.parse().unwrap_or_else(|_| usage()),
            "--port" => port = value.parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    (host, port)
}

/// A parent may start the service with signals blocked (Foundation's `Process` does): unblock
/// them, so that SIGTERM and SIGINT stop it as they stop Node.
fn unblock_signals() {
    // SAFETY: an empty, initialised signal set, passed to sigprocmask before any thread exists.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

fn main() {
    unblock_signals();
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime").block_on(serve());
}

async fn serve() {
    let (host, port) = parse_args();
    let service = Arc::new(Service { app: shop::app(), shop: Shop::new() });
    let make_service = make_service_fn(move |_| {
        let service = service.clone();
        async move { Ok::<_, Infallible>(service_fn(move |request| respond(service.clone(), request))) }
    });
    let builder = match Server::try_bind(&SocketAddr::new(host, port)) {
        Ok(builder) => builder,
        Err(error) => {
            eprintln!("shop-rust: cannot listen on {}:{}: {}", host, port, error);
            std::process::exit(1);
        }
    };
    let server = builder.http1_only(true).http1_title_case_headers(true).serve(make_service);
    println!("shop-rust listening on http://{}:{}", host, port);
    if let Err(error) = server.await {
        eprintln!("shop-rust: {}", error);
        std::process::exit(1);
    }
}

async fn respond(service: Arc<Service>, request: Request<Body>) -> Result<Response<Body>, Infallible> {
    let (parts, mut body) = request.into_parts();
    let keep_alive = wants_keep_alive(parts.version, &parts.headers);
    if parts.version == Version::HTTP_11 {
        // Node's own answers, before Express sees the request.
        if !parts.headers.contains_key(hyper::header::HOST) {
            return Ok(empty_chunked(400, &[("connection", "close"), ("date", &now())]));
        }
        let expect = parts.headers.get(hyper::header::EXPECT).map(|v| v.as_bytes().to_ascii_lowercase());
        if expect.map_or(false, |e| e != b"100-continue") {
            let connection: &[(&str, &str)] =
                if keep_alive { &[("connection", "keep-alive"), ("keep-alive", "timeout=5")] } else { &[("connection", "close")] };
            let mut headers = vec![("date", now())];
            headers.extend(connection.iter().map(|(n, v)| (*n, v.to_string())));
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            return Ok(empty_chunked(417, &headers));
        }
    }
    // Node keeps an HTTP/1.0 connection only when the response length is known or the client
    // accepts chunked responses (`TE: chunked`).
    let te_chunked = parts
        .headers
        .get_all(hyper::header::TE)
        .iter()
        .any(|v| v.as_bytes().to_ascii_lowercase().windows(7).any(|w| w == b"chunked"));
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().iter().map(|&b| b as char).collect()))
        .collect();
    let mut bytes = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = body.data().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= READ_CAP => bytes.extend_from_slice(&chunk),
            Ok(_) => {
                truncated = true;
                break;
            }
            Err(_) => break,
        }
    }
    let wire = WireRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers,
        body: bytes,
    };
    let method = wire.method.clone();
    let answer = if truncated {
        express::error_page(413, &method, None)
    } else {
        let service = service.clone();
        // The price route is CPU-bound: keep it off the reactor threads.
        tokio::task::spawn_blocking(move || service.app.handle(&service.shop, &wire))
            .await
            .unwrap_or_else(|_| express::error_page(500, &method, None))
    };
    let has_length = answer.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-length"));
    let keep_alive = keep_alive && !truncated && (parts.version == Version::HTTP_11 || has_length || te_chunked);
    let mut response = to_hyper(answer, keep_alive);
    if parts.version == Version::HTTP_10 {
        // Else hyper turns an HTTP/1.0 `Connection: close` back into keep-alive.
        *response.version_mut() = Version::HTTP_10;
    }
    Ok(response)
}

fn now() -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now())
}

/// A response with exactly these headers and an empty chunked body (`0\r\n\r\n`), as Node's
/// `res.writeHead(status); res.end()` sends it; hyper adds `Transfer-Encoding` last.
fn empty_chunked(status: u16, headers: &[(&str, &str)]) -> Response<Body> {
    let (sender, body) = Body::channel();
    drop(sender);
    let mut response = Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_REQUEST);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Node's rule: HTTP/1.1 keeps the connection unless it says `close`; HTTP/1.0 only when it
/// asks for `keep-alive`.
fn wants_keep_alive(version: Version, headers: &hyper::HeaderMap) -> bool {
    let tokens: Vec<String> = headers
        .get_all(hyper::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|t| t.trim().to_ascii_lowercase()).collect::<Vec<_>>())
        .collect();
    match version {
        Version::HTTP_11 => !tokens.iter().any(|t| t == "close"),
        Version::HTTP_10 => tokens.iter().any(|t| t == "keep-alive"),
        _ => false,
    }
}

/// The response in Node's header order: the application's headers, then `Date`, `Connection`
/// and `Keep-Alive`.
fn to_hyper(answer: WireResponse, keep_alive: bool) -> Response<Body> {
    let mut response = Response::new(Body::from(answer.body));
    *response.status_mut() = hyper::StatusCode::from_u16(answer.status).unwrap_or(hyper::StatusCode::OK);
    let headers = response.headers_mut();
    let mut add = |name: &'static str, value: &str| {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            headers.append(name, value);
        }
    };
    for (name, value) in &answer.headers {
        add(name, value);
    }
    add("date", &now());
    if keep_alive {
        add("connection", "keep-alive");
        add("keep-alive", "timeout=5");
    } else {
        add("connection", "close");
    }
    response
}
